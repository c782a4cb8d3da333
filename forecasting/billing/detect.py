"""Tell the export format (and the FOCUS version) from the column names, with an explicit override."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence

from forecasting.billing.cur2 import CUR2
from forecasting.billing.cur_legacy import CUR_LEGACY
from forecasting.billing.focus import FOCUS, focus_version, version_key
from forecasting.billing.formats import ExportFormat
from forecasting.billing.schema import FileSchema, closest_columns
from forecasting.errors import DataError

__all__ = ["FORMATS", "detect_format", "format_of_columns", "with_version"]

FORMATS: dict[str, ExportFormat] = {f.name: f for f in (CUR_LEGACY, CUR2, FOCUS)}


def format_of_columns(columns: Collection[str]) -> ExportFormat | None:
    """The format whose signature columns are all present, or ``None``.

    Example:
        >>> format_of_columns(["ChargePeriodStart", "ChargeCategory", "BilledCost"]).name
        'focus'
        >>> format_of_columns(["unique_id", "ds", "y"]) is None
        True
    """
    for fmt in FORMATS.values():
        if fmt.matches(columns):
            return fmt
    return None


def detect_format(schemas: Sequence[FileSchema], override: str | None = None) -> ExportFormat:
    """The format of an export, the same for every part, with its version (FOCUS) in ``version``/``label``.

    Args:
        schemas: The schema of every part.
        override: A format name (``cur_legacy``, ``cur2``, ``focus``) to use instead of detection;
            ``None`` or ``"auto"`` detects. The FOCUS version is detected either way.

    Raises:
        DataError: Unknown override, columns of no known format, or parts in different formats.
    """
    if override not in (None, "auto"):
        if override not in FORMATS:
            raise DataError(f"unknown format {override!r}. Fix: use one of auto, {', '.join(FORMATS)}.")
        return with_version(FORMATS[override], schemas)
    found: dict[str, FileSchema] = {}
    for schema in schemas:
        fmt = format_of_columns(schema.columns)
        if fmt is None:
            wanted = [c for f in FORMATS.values() for c in f.signature]
            near = sorted({n for c in wanted for n in closest_columns(c, schema.columns, n=1)})
            raise DataError(
                f"{schema.path}: cannot tell the billing export format from its columns "
                f"({', '.join(list(schema.columns)[:8])}{', ...' if len(schema.columns) > 8 else ''}). "
                "Expected legacy CUR (lineItem/UsageStartDate, lineItem/LineItemType), CUR 2.0 "
                "(line_item_usage_start_date, line_item_line_item_type) or FOCUS (ChargePeriodStart, "
                f"ChargeCategory){'; closest present: ' + ', '.join(near) if near else ''}. "
                "Fix: pass the export's data files, or --format to name the format."
            )
        found.setdefault(fmt.name, schema)
    if len(found) > 1:
        (a, sa), (b, sb) = list(found.items())[:2]
        raise DataError(
            f"parts whose schemas disagree: {sa.path} is {FORMATS[a].label} but {sb.path} is "
            f"{FORMATS[b].label}. Fix: prepare each export separately."
        )
    return with_version(FORMATS[next(iter(found))], schemas)


def with_version(fmt: ExportFormat, schemas: Sequence[FileSchema]) -> ExportFormat:
    """``fmt`` with the FOCUS version of the parts in ``version`` and ``label`` (other formats unchanged).

    Parts of one export may come in several versions (a provider upgraded during the year): they read to
    the same series, and the label names every version, e.g. ``FOCUS 1.0 and 1.2``.
    """
    versions = sorted({focus_version(s.columns) for s in schemas}, key=version_key)
    if fmt.name != FOCUS.name or not versions:
        return fmt
    version = " and ".join(versions)
    return dataclasses.replace(fmt, version=version, label=f"{fmt.label} {version}")
