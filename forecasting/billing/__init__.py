"""Billing exports: file discovery, format detection and readers for legacy CUR, CUR 2.0 and FOCUS."""

from forecasting.billing.detect import FORMATS, detect_format, format_of_columns
from forecasting.billing.files import ExportFiles, SkippedFile, find_export_files
from forecasting.billing.formats import ExportFormat

__all__ = [
    "FORMATS",
    "ExportFiles",
    "ExportFormat",
    "SkippedFile",
    "detect_format",
    "find_export_files",
    "format_of_columns",
]
