"""Sheets rendered as CSV or XLSX, with the media type and file name of each.

CSV is UTF-8 with a byte-order mark (Excel, which most reporting officers open
it with, reads French accents right only with it), comma-separated, one header
row, amounts as exact decimals with a point. The CSV has no room for the
context, so the HTTP answer carries it in headers (see the API); XLSX carries
it on a second worksheet, ``about``, beside the data.

Text typed by desk officers (a mission's title, its place) reaches these files,
which reporting staff open in a spreadsheet: a title beginning ``=`` would be a
formula there (``=HYPERLINK(...)`` sending the sheet's figures away when
clicked: CSV, or formula, injection). XLSX stores every text as text, never as
a formula. CSV has no types, so a text cell that a spreadsheet would read as a
formula (first character ``=``, ``+``, ``-``, ``@``, tab or carriage return)
is written after an apostrophe, as OWASP advises; the apostrophe is visible,
the figure stays readable, nothing runs. Control characters XML cannot hold
(never accepted by a command, see ``shared.text``, but a view may hold older
text) are written as U+FFFD in XLSX, rather than failing the whole file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, cast

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from shared.reporting.sheets import Sheet

Format = Literal["csv", "xlsx"]
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Export:
    """The bytes of a file, its media type and its file name."""

    content: bytes
    media_type: str
    filename: str


def render(sheet: Sheet, format: Format) -> Export:
    if format == "csv":
        return Export(to_csv(sheet), CSV_TYPE, f"{sheet.filename_stem}.csv")
    return Export(to_xlsx(sheet), XLSX_TYPE, f"{sheet.filename_stem}.xlsx")


def to_csv(sheet: Sheet) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(sheet.columns)
    for row in sheet.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


#: What a spreadsheet reads as the start of a formula in a CSV cell (OWASP's list).
#: Full-width and small forms too: some spreadsheet locales and input methods read
#: ``＝1+1`` as ``=1+1``.
FORMULA_STARTS = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\uff1d",  # ＝
    "\uff0b",  # ＋
    "\uff0d",  # －
    "\uff20",  # ＠
    "\ufe66",  # ﹦
    "\ufe62",  # ﹢
    "\ufe63",  # ﹣
    "\ufe6b",  # ﹫
)


def _csv_cell(value: object) -> object:
    """``value`` as its CSV cell: text a spreadsheet would run as a formula, defused."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def to_xlsx(sheet: Sheet) -> bytes:
    """The data on the first worksheet (header frozen), the context on ``about``."""
    workbook = Workbook()
    data = workbook.active
    assert data is not None  # a new workbook has one worksheet
    data.title = sheet.name[:31]
    data.append(sheet.columns)
    for cell in data[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(sheet.rows, start=2):  # below the header
        cells = [_beyond_a_double(v) if isinstance(v, Decimal) else v for v in row]
        for cell, value in zip(_append(data, number, cells), row, strict=True):
            if isinstance(value, Decimal):
                if isinstance(cell.value, str):
                    cell.alignment = Alignment(horizontal="right")
                else:
                    cell.number_format = amount_format(value)
    data.freeze_panes = "A2"
    about = workbook.create_sheet("about")
    for number, line in enumerate(sheet.about(), start=1):
        _append(about, number, line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


#: Significant digits a spreadsheet number (an IEEE 754 double) holds exactly.
SPREADSHEET_DIGITS = 15


def _beyond_a_double(value: Decimal) -> Decimal | str:
    """``value``, or its exact text when a spreadsheet number would change it.

    Excel and LibreOffice keep 15 significant digits: ``123456789012345.67`` EUR was
    written as ``123456789012345.7`` under a two-decimal format, disagreeing with the
    JSON and the CSV. Such an amount is written as text (right-aligned, as numbers
    are), so the file never shows an amount that was not recorded.
    """
    return str(value) if len(value.as_tuple().digits) > SPREADSHEET_DIGITS else value


def amount_format(value: Decimal) -> str:
    """The cell format showing every decimal the amount has: ``1.255`` TND is not ``1.26``.

    Amounts carry their currency's decimals (none for XOF, three for TND), so the
    format follows the value rather than a fixed two.
    """
    exponent = value.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return "#,##0" + ("." + "0" * decimals if decimals else "")


#: What XML 1.0 refuses beyond openpyxl's C0 controls: the noncharacters U+FFFE and
#: U+FFFF. Commands refuse them since 2026-12-07, but events recorded before may hold
#: them; written raw, they made an overlaps file no spreadsheet could open (probe 7).
XML_NONCHARACTERS_RE = re.compile("[\ufffe\uffff]")


def _append(
    worksheet: Worksheet, row: int, values: Sequence[object]
) -> tuple[Cell | MergedCell, ...]:
    """Writes ``values`` as row number ``row``, texts staying text; returns its cells.

    openpyxl makes a text beginning ``=`` a formula: it is set back to text. Characters
    XML refuses become U+FFFD. The caller numbers the rows: finding the row just
    appended through ``worksheet.max_row`` scans every cell, so a file of 4,000 rows
    took 18 s to write, and one of 9,000 overlaps a request of 105 s (probe 7).
    """
    cells: list[Cell | MergedCell] = []
    for column, value in enumerate(values, start=1):
        cell = worksheet.cell(row=row, column=column)
        # A sheet's values are texts, numbers, dates or None, as ``append`` took them.
        cell.value = _xml_text(value) if isinstance(value, str) else cast(Any, value)
        if cell.data_type == "f":
            cell.data_type = "s"
        cells.append(cell)
    return tuple(cells)


def _xml_text(value: str) -> str:
    return XML_NONCHARACTERS_RE.sub("\ufffd", ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))


def context_headers(sheet: Sheet) -> dict[str, str]:
    """The context of a CSV, as HTTP headers (ASCII): positions and the English rule."""
    positions = ", ".join(f"{t}={found['position']}" for t, found in sheet.as_of.items())
    return {
        "Entente-Positions": positions,
        "Entente-Counting-Rule": sheet.counting_rule["en"],
    }
