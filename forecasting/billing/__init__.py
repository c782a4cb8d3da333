"""Billing exports: file discovery, format detection and readers for legacy CUR, CUR 2.0 and FOCUS."""

__all__: list[str] = []
