"""Spreadsheet helpers shared by every export."""
from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text a user typed must never run as a formula in Excel/WPS: prefix risky strings with an apostrophe.

    Dates written as ISO text start with a digit and are left alone; negative numbers stay numbers.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
