"""Spreadsheet helpers shared by every export, and the exact inverse for the roster import."""
from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What ``safe_cell`` prefixes: a risky first character, possibly behind apostrophes of the person's own. Escaping
# "'=x" too (as "''=x") keeps the mapping one-to-one, so ``unescape_cell`` can undo it exactly.
_ESCAPED = re.compile(r"^'+[=+\-@\t\r]")


def safe_cell(value):
    """Text a user typed must never run as a formula in Excel/WPS: prefix risky strings with an apostrophe.

    Dates written as ISO text start with a digit and are left alone; negative numbers stay numbers.
    """
    if isinstance(value, str) and value.lstrip("'").startswith(_FORMULA_START):
        return "'" + value
    return value


def is_escaped(text: str) -> bool:
    """True for a cell ``safe_cell`` wrote with its apostrophe (an apostrophe, then a risky character)."""
    return bool(_ESCAPED.match(text))


def unescape_cell(value):
    """The inverse of ``safe_cell``: ``unescape_cell(safe_cell(v)) == v`` for every value."""
    if isinstance(value, str) and is_escaped(value):
        return value[1:]
    return value
