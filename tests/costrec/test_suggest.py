"""'Did you mean' hints: case-insensitive matches in the choices' own spelling, or the known names listed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costrec.suggest import closest, did_you_mean

MEASURES = ["unblended", "net_unblended", "amortized", "effective", "billed", "blended"]


def test_a_match_in_another_case_comes_back_in_the_choices_spelling() -> None:
    assert closest("servce", ["Account", "SERVICE", "Region"]) == ["SERVICE"]
    assert closest("LINEITEM/UNBLENDEDCOST", ["lineItem/UnblendedCost", "x"]) == ["lineItem/UnblendedCost"]
    assert did_you_mean("AMORTISED", MEASURES) == " Did you mean 'amortized'?"


def test_suggestions_come_best_first_up_to_n() -> None:
    # Ratios against "blended": itself 1.0, unblended 0.875, net_unblended 0.70, billed 0.615.
    assert closest("blended", MEASURES, n=3) == ["blended", "unblended", "net_unblended"]
    assert closest("blended", MEASURES, n=10) == ["blended", "unblended", "net_unblended", "billed"]


def test_the_cutoff_decides_what_is_close() -> None:
    # "usage_date" keeps only the tail of the prefixed column: 0.556, between 0.5 and the 0.6 default.
    columns = ["line_item_usage_start_date", "bill_bill_type"]
    assert closest("usage_date", columns) == []
    assert closest("usage_date", columns, cutoff=0.5) == ["line_item_usage_start_date"]
    assert closest("zzzz", MEASURES, cutoff=0.0, n=1) != []


def test_the_exact_spelling_wins_among_names_that_differ_only_in_case() -> None:
    assert closest("Service", ["service", "Service"]) == ["Service"]
    assert closest("Service", ["service", "Service"], n=2) == ["Service", "service"]
    assert closest("SERVICE", ["service", "Service"], n=2) == ["service", "Service"]
    assert closest("service", ["service", "service"], n=5) == ["service"]


def test_nothing_close_lists_the_known_values_in_order() -> None:
    assert did_you_mean("zzz", ["service", "account", "region"]) == (
        " Known values: 'service', 'account', 'region'."
    )


def test_a_long_list_is_cut_and_says_how_many_there_are() -> None:
    choices = [f"k{i:02d}" for i in range(14)]
    hint = did_you_mean("zzz", choices)
    assert hint == " Known values: " + ", ".join(repr(c) for c in choices[:12]) + ", ... (14 in all)."
    assert "'k12'" not in hint
    assert did_you_mean("zzz", choices, listed=14).endswith("'k13'.")
    assert did_you_mean("zzz", choices, listed=3) == " Known values: 'k00', 'k01', 'k02', ... (14 in all)."


def test_no_choices_or_no_listing_gives_nothing() -> None:
    assert did_you_mean("service", []) == ""
    assert closest("service", []) == []
    assert did_you_mean("zzz", ["service"], listed=0) == ""
    assert did_you_mean("servce", ["service"], listed=0) == " Did you mean 'service'?"


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="n must be > 0"):
        closest("a", ["a"], n=0)
    with pytest.raises(ValueError, match="cutoff must be in"):
        did_you_mean("a", ["a"], cutoff=1.5)


_CASES = {
    "same": lambda s: s,
    "upper": str.upper,
    "lower": str.lower,
    "swapcase": str.swapcase,
    "title": str.title,
}


@st.composite
def _names(draw: st.DrawFn) -> list[str]:
    """Names in any order, some of them again in another case (``service`` and ``Service``)."""
    base = draw(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=8))
    again = draw(st.lists(st.tuples(st.sampled_from(base), st.sampled_from(sorted(_CASES))), max_size=4))
    return draw(st.permutations(base + [_CASES[case](name) for name, case in again]))


@settings(max_examples=200, deadline=None)
@given(choices=_names(), pick=st.integers(min_value=0), case=st.sampled_from(sorted(_CASES)))
def test_an_exact_choice_in_any_case_is_its_own_first_suggestion(
    choices: list[str], pick: int, case: str
) -> None:
    choice = choices[pick % len(choices)]
    value = _CASES[case](choice)
    found = closest(value, choices)
    if value in choices:
        assert found[0] == value
    if value.casefold() == choice.casefold():  # false for a few letters, e.g. 'ı'.upper() == 'I'
        assert found[0].casefold() == choice.casefold()
        assert did_you_mean(value, choices) == f" Did you mean {found[0]!r}?"
