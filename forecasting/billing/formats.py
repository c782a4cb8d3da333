"""Export formats as data: which columns identify a format and where each field of a line item lives.

A field can live in several places (CUR 2.0 keeps the product name in a ``product`` map column, while a
backwards-compatible export flattens it to ``product_product_name``), so every field lists candidate
sources and the scan takes the first non-empty one among those present in a part. :class:`Columns`
turns sources into SQL for one part's schema: text stays text, money becomes ``DECIMAL(38, 12)`` so sums
are exact, and times become microseconds since the epoch (UTC).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from forecasting.billing.schema import sql_str, type_family
from forecasting.errors import DataError

__all__ = [
    "Col",
    "MapKey",
    "JsonKey",
    "Const",
    "Source",
    "ExportFormat",
    "Columns",
    "MONEY",
    "quote",
    "source_label",
]

# Twelve decimals: exports carry up to 11 (FOCUS sample: -0.00000000729), and 26 integer digits remain.
MONEY = "DECIMAL(38, 12)"


@dataclass(frozen=True)
class Col:
    """A column, read as is."""

    name: str


@dataclass(frozen=True)
class MapKey:
    """The value of ``key`` in a ``MAP(VARCHAR, VARCHAR)`` column (CUR 2.0 ``product``, ``resource_tags``)."""

    column: str
    key: str


@dataclass(frozen=True)
class JsonKey:
    """The value of ``key`` in a column holding a JSON object as text (FOCUS ``Tags``)."""

    column: str
    key: str


@dataclass(frozen=True)
class Const:
    """A constant (e.g. the provider of an AWS-only format)."""

    value: str


Source = Col | MapKey | JsonKey | Const


def quote(name: str) -> str:
    """A quoted SQL identifier (CUR column names contain ``/`` and ``:``).

    Example:
        >>> quote("lineItem/UsageStartDate")
        '"lineItem/UsageStartDate"'
    """
    return '"' + name.replace('"', '""') + '"'


def source_label(source: Source) -> str:
    """How a source is named in messages: ``product['product_name']``, ``Tags.team`` or the column."""
    if isinstance(source, Col):
        return source.name
    if isinstance(source, MapKey):
        return f"{source.column}[{source.key!r}]"
    if isinstance(source, JsonKey):
        return f"{source.column}.{source.key}"
    return repr(source.value)


@dataclass(frozen=True)
class ExportFormat:
    """Where the fields of a line item live in one export format.

    Attributes:
        name: Short name used by ``--format`` (``cur_legacy``, ``cur2``, ``focus``).
        label: Human name for messages.
        signature: Columns that are all present in this format and identify it.
        start: Usage (charge period) start time.
        end: Usage (charge period) end time (exclusive).
        charge_type: Kind of charge (CUR line item type, FOCUS charge category).
        currency: Billing currency code.
        dimensions: Canonical dimension name -> candidate sources.
        tag: Tag key -> candidate sources of its value.
        costs: Logical cost name -> column (``unblended``, ``net_unblended``, ``sp_effective``, ...).
        version: The version detected from the columns (FOCUS ``1.0`` to ``1.3``), ``""`` when the format
            has none; ``label`` then names it too.
    """

    name: str
    label: str
    signature: tuple[str, ...]
    start: tuple[Source, ...]
    end: tuple[Source, ...]
    charge_type: tuple[Source, ...]
    currency: tuple[Source, ...]
    dimensions: Mapping[str, tuple[Source, ...]]
    tag: Callable[[str], tuple[Source, ...]]
    costs: Mapping[str, str] = field(default_factory=dict)
    version: str = ""

    def matches(self, columns: Collection[str]) -> bool:
        """Whether ``columns`` carry this format's signature."""
        return all(c in columns for c in self.signature)

    def dimension_sources(self, dimension: str) -> tuple[Source, ...]:
        """Candidate sources of a dimension: canonical name, ``tag:KEY``, or a raw column name."""
        if dimension in self.dimensions:
            return self.dimensions[dimension]
        if dimension.startswith("tag:") and len(dimension) > 4:
            return self.tag(dimension[4:])
        return (Col(dimension),)


def athena_name(key: str) -> str:
    """Tag key as Athena/CUR 2.0 normalise it (lower case, other characters as ``_``).

    Example:
        >>> athena_name("Cost-Center")
        'cost_center'
    """
    return re.sub(r"[^a-z0-9]", "_", key.lower())


class Columns:
    """SQL expressions for the columns of one part (or a batch of parts sharing a schema)."""

    def __init__(self, columns: Mapping[str, str]) -> None:
        self.types = dict(columns)

    def has(self, source: Source) -> bool:
        """Whether the source can be read from these columns."""
        if isinstance(source, Const):
            return True
        if isinstance(source, Col):
            return source.name in self.types
        family = type_family(self.types.get(source.column, ""))
        return family == ("map" if isinstance(source, MapKey) else "text")

    def text(self, source: Source) -> str:
        """The source as VARCHAR (empty strings are kept; :meth:`first` turns them into NULL)."""
        if isinstance(source, Const):
            return sql_str(source.value)
        if isinstance(source, MapKey):
            return f"{quote(source.column)}[{sql_str(source.key)}]"
        if isinstance(source, JsonKey):
            path = sql_str('$."' + source.key.replace('"', '\\"') + '"')
            return f"json_extract_string(TRY_CAST({quote(source.column)} AS JSON), {path})"
        column = quote(source.name)
        return column if type_family(self.types[source.name]) == "text" else f"CAST({column} AS VARCHAR)"

    def first(self, sources: tuple[Source, ...]) -> str | None:
        """COALESCE of the non-empty values of the sources present, or ``None`` if none is present."""
        present = [self.text(s) for s in sources if self.has(s)]
        if not present:
            return None
        parts = [f"NULLIF({p}, '')" for p in present]
        return parts[0] if len(parts) == 1 else f"COALESCE({', '.join(parts)})"

    def money(self, name: str | None) -> str:
        """A cost column as exact ``DECIMAL(38, 12)``; NULL when absent, unparseable text gives NULL too."""
        if name is None or name not in self.types:
            return "NULL"
        family = type_family(self.types[name])
        if family == "number":
            return f"CAST({quote(name)} AS {MONEY})"
        if family == "text":
            return f"TRY_CAST({quote(name)} AS {MONEY})"
        raise DataError(
            f"column {name!r} holds {self.types[name]} values, not amounts of money. "
            "Fix: check the export settings, or pick another --measure."
        )

    def bad_money(self, name: str | None) -> str | None:
        """Condition for a text cost that is present but does not parse, or ``None`` for typed columns."""
        if name is None or name not in self.types or type_family(self.types[name]) != "text":
            return None
        column = quote(name)
        return f"({column} IS NOT NULL AND TRIM({column}) <> '' AND TRY_CAST({column} AS {MONEY}) IS NULL)"

    def time_us(self, name: str) -> str:
        """A timestamp column as microseconds since 1970 UTC (text without an offset is taken as UTC)."""
        column = quote(name)
        family = type_family(self.types[name])
        if family == "time":
            return (
                f"epoch_us(CAST({column} AS TIMESTAMP))"
                if self.types[name] == "DATE"
                else f"epoch_us({column})"
            )
        if family == "text":
            return f"epoch_us(TRY_CAST({column} AS TIMESTAMPTZ))"
        raise DataError(
            f"column {name!r} holds {self.types[name]} values, not timestamps. "
            "Fix: check the export settings, or pass --format to pick the right reader."
        )
