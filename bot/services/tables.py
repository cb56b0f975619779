"""Reading a spreadsheet a person sent (.csv or .xlsx) into rows of text cells, each with its
row number in the file as the person sees it in their spreadsheet program. Shared by the
imports (products, customers); what the columns mean is theirs to decide.

Blank lines are skipped but keep the numbering; a spreadsheet's dates come out as
``1985-05-12`` and its whole numbers without ``.0``, so a phone typed as a number reads as it
was typed."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from charset_normalizer import from_bytes

from bot.parsing.text import printable

# A text file with more of these than this share of its characters is not a spreadsheet.
UNREADABLE_SHARE = 0.1
# What a CSV file not in UTF-8 may be in: Excel saves CSV in the Windows code page, GBK (read
# as its superset GB18030) on a Chinese Windows, Windows-1252 (Latin-1's superset) on a
# Western one.
LEGACY_ENCODINGS = ["gb18030", "cp1252"]


@dataclass(frozen=True)
class TableRow:
    number: int  # the row's number in the file (the header is usually 1)
    cells: list[str]


class TableInvalid(Exception):
    """The file cannot be read as a table: ``reason`` is ``type``, ``unreadable``,
    ``encoding``, ``too_big`` or ``empty`` (and ``limit`` for ``too_big``)."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason, details)
        self.details: dict[str, Any] = {"reason": reason, **details}


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def _xlsx_rows(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        return [[_cell_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise TableInvalid("unreadable") from error


def _decoded(content: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without the byte-order mark Excel writes), or
    UTF-16 with its byte-order mark, when it is that; else the legacy encoding it reads best
    as. TableInvalid ``unreadable`` for a binary file, ``encoding`` when no encoding reads it
    cleanly or it holds replacement characters (text already lost)."""
    try:
        if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = content.decode("utf-16")  # Excel's "Unicode Text"
        else:
            text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        odd = sum(1 for byte in content if byte < 0x20 and byte not in b"\t\r\n")
        if odd > len(content) * UNREADABLE_SHARE:
            raise TableInvalid("unreadable") from None  # a binary file, not text
        best = from_bytes(content, cp_isolation=LEGACY_ENCODINGS).best()
        if best is None:
            raise TableInvalid("encoding") from None
        text = str(best)
    if "\ufffd" in text:
        raise TableInvalid("encoding")
    return text


def _csv_rows(content: bytes) -> list[list[str]]:
    text = _decoded(content)
    odd = sum(1 for ch in text if ch < " " and ch not in "\t\r\n")
    if odd > len(text) * UNREADABLE_SHARE:
        raise TableInvalid("unreadable")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as error:
        raise TableInvalid("unreadable") from error


def read_table(filename: str, content: bytes, *, max_rows: int) -> list[TableRow]:
    """The non-blank rows of a .csv or .xlsx file, the first of them the header; TableInvalid
    for another kind of file, an unreadable or empty one, or one over ``max_rows`` data rows."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(content)
    elif name.endswith(".csv"):
        rows = _csv_rows(content)
    else:
        raise TableInvalid("type")
    table = [
        TableRow(number, [printable(cell) for cell in row])
        for number, row in enumerate(rows, start=1)
        if any(printable(cell).strip() for cell in row)
    ]
    if len(table) > max_rows + 1:
        raise TableInvalid("too_big", limit=max_rows)
    if not table:
        raise TableInvalid("empty")
    return table
