"""'Did you mean' hints for error messages: the closest known names to a wrong one, in one wording.

One cutoff policy for every message: ``difflib``'s ratio (twice the matched characters over the total
length) must reach 0.6, difflib's own default. A one-letter slip in a name of five letters or more scores
0.8 or better (``servce``/``service`` 0.92, ``amortised``/``amortized`` 0.89), while unrelated names of a
similar length mostly stay under 0.5 (12 of 13 pairs among the measures and common dimensions). A lower
cutoff pairs unrelated names (``amortized``/``billed`` scores 0.40, ``account``/``operation`` 0.38), and a
wrong suggestion misleads where a list of the known names lets the reader pick; so when nothing is that
close, :func:`did_you_mean` lists the known names instead. The one override is billing column names
(``forecasting.billing.schema.closest_columns``): they carry long prefixes (``lineItem/``,
``line_item_``) that a name typed by hand often lacks, and the tail alone scores between 0.5 and 0.6
(``usage_date``/``line_item_usage_start_date`` 0.56).

Matching ignores case (``Service`` finds ``service``) and always answers with the choices' own
spellings, which are what the reader must type.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["CUTOFF", "LISTED", "closest", "did_you_mean"]

CUTOFF = 0.6
"""The least ``difflib`` ratio a suggestion needs (see the module docstring for why 0.6)."""

LISTED = 12
"""How many known names :func:`did_you_mean` lists when nothing is close: enough to show the kind of
name expected, few enough that the message stays one readable line."""


def closest(value: str, choices: Iterable[str], *, n: int = 1, cutoff: float = CUTOFF) -> list[str]:
    """The choices most like ``value``, ignoring case, best first, in the choices' own spellings.

    A choice equal to ``value`` up to case always comes first (``value``'s exact spelling first of all
    when several choices differ only in case), so a name typed in the wrong case gets its right case back.

    Args:
        value: The name that was not found.
        choices: The known names, in any order; repeats are ignored.
        n: At most this many suggestions (names differing only in case count one each). Defaults to 1.
        cutoff: The least ``difflib`` similarity ratio in [0, 1] a suggestion needs. Defaults to 0.6.

    Returns:
        Up to ``n`` choices, most similar first; empty when none reaches ``cutoff``.

    Raises:
        ValueError: ``n`` below 1 or ``cutoff`` outside [0, 1] (from ``difflib``).

    Example:
        >>> closest("SERVCE", ["account", "Service", "region"])
        ['Service']
        >>> closest("usage_date", ["line_item_usage_start_date", "bill_type"], cutoff=0.5)
        ['line_item_usage_start_date']
        >>> closest("zzz", ["account", "service"])
        []
    """
    spellings: dict[str, list[str]] = {}
    for choice in dict.fromkeys(choices):
        spellings.setdefault(choice.casefold(), []).append(choice)
    key = value.casefold()
    hits = difflib.get_close_matches(key, spellings, n=n, cutoff=cutoff)
    if key in spellings:
        # difflib scores an exact match 1.0 anyway, except past 200 characters where its automatic junk
        # heuristic can lower it; state the rule instead of relying on the score.
        hits = [key, *(h for h in hits if h != key)]
    found = [s for h in hits for s in sorted(spellings[h], key=lambda s: s != value)]
    return found[:n]


def did_you_mean(value: str, choices: Iterable[str], *, cutoff: float = CUTOFF, listed: int = LISTED) -> str:
    """The hint a message appends after its first sentence: the closest choice, or the known ones.

    Every message words it the same way, starting with a space so it follows a full stop:
    `` Did you mean 'x'?`` when a choice is close enough, otherwise `` Known values: 'a', 'b'.`` (at most
    ``listed`` of them, in the order given, then ``... (N in all)``), and ``""`` when there are no
    choices. A message that already names every choice itself passes ``listed=0``: only the suggestion,
    or ``""``.

    Args:
        value: The name that was not found.
        choices: The known names, in the order to list them.
        cutoff: The least similarity a suggestion needs (see :func:`closest`). Defaults to 0.6.
        listed: At most this many known names when nothing is close; 0 lists none. Defaults to 12.

    Returns:
        The hint, with a leading space, or ``""``.

    Example:
        >>> did_you_mean("Servce", ["service", "account"])
        " Did you mean 'service'?"
        >>> did_you_mean("zzz", ["service", "account", "region"], listed=2)
        " Known values: 'service', 'account', ... (3 in all)."
        >>> did_you_mean("zzz", [])
        ''
    """
    known = list(dict.fromkeys(choices))
    near = closest(value, known, cutoff=cutoff)
    if near:
        return f" Did you mean {near[0]!r}?"
    if not known or listed <= 0:
        return ""
    shown = ", ".join(repr(c) for c in known[:listed])
    more = f", ... ({len(known)} in all)" if len(known) > listed else ""
    return f" Known values: {shown}{more}."
