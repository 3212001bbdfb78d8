"""A one-sheet xlsx written as it streams: the county's combined table at province size (300,000 rows).

openpyxl's write-only writer and XlsxWriter's constant-memory mode both spend about 5 µs of Python per cell (styles,
type dispatch, shared-string bookkeeping); a table of text and numbers without styles needs none of it. This writes
the sheet's XML row by row straight into the zip entry (text as inline strings, numbers as numbers, empty cells
left out) with the five small parts an xlsx needs around it, and nothing else: no styles, no shared strings, no
formulas. Excel, WPS and LibreOffice open inline strings; tests read every cell back with openpyxl.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0 at all
_COLUMNS = [chr(65 + i) for i in range(26)] + [chr(65 + i) + chr(65 + j) for i in range(26) for j in range(26)]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name={name} sheetId="1" r:id="rId1"/></sheets></workbook>')
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = '</sheetData></worksheet>'


def _text(value: str) -> str:
    value = escape(_ILLEGAL.sub("", value))
    if value[:1].isspace() or value[-1:].isspace():
        return f'<is><t xml:space="preserve">{value}</t></is>'
    return f"<is><t>{value}</t></is>"


def _row(r: int, values: list) -> str:
    cells = []
    for c, value in enumerate(values):
        if value is None or value == "":
            continue
        if isinstance(value, str):
            cells.append(f'<c r="{_COLUMNS[c]}{r}" t="inlineStr">{_text(value)}</c>')
        elif isinstance(value, bool):
            cells.append(f'<c r="{_COLUMNS[c]}{r}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, (int, float, Decimal)):
            cells.append(f'<c r="{_COLUMNS[c]}{r}"><v>{value}</v></c>')
        else:  # dates and anything else: as the text it prints
            cells.append(f'<c r="{_COLUMNS[c]}{r}" t="inlineStr">{_text(str(value))}</c>')
    return f'<row r="{r}">{"".join(cells)}</row>'


def write_sheet(out: BinaryIO, sheet_name: str, rows: Iterable[list], *, chunk_rows: int = 2000) -> int:
    """Write ``rows`` (lists of str / number / None, at most 702 columns) as one sheet; the number of rows."""
    n = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK.format(name=quoteattr(sheet_name[:31])))
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD.encode())
            buffer = []
            for n, values in enumerate(rows, start=1):
                buffer.append(_row(n, values))
                if len(buffer) >= chunk_rows:
                    sheet.write("".join(buffer).encode())
                    buffer.clear()
            sheet.write(("".join(buffer) + _SHEET_TAIL).encode())
    return n
