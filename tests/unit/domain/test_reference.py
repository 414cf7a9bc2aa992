"""Reference data and vocabularies: ISO tables, bilingual labels, international codelists."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import pytest

from shared.domain import values
from shared.domain.reference import all_countries, country, currency, minor_unit
from shared.domain.vocabulary import (
    CRS_PURPOSE_CODES,
    IATI_ACTIVITY_STATUS,
    LABELS,
    AgreementKind,
    AgreementStatus,
    Classification,
    DelegationStatus,
    MissionStatus,
    MissionType,
    Organisation,
    PostStatus,
    Theme,
    describe,
    label,
)
from shared.errors import ValidationError

VOCABULARIES: list[type[StrEnum]] = [
    AgreementKind,
    AgreementStatus,
    Classification,
    DelegationStatus,
    MissionStatus,
    MissionType,
    Organisation,
    PostStatus,
    Theme,
]


# --- countries ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "alpha3", "name_en", "name_fr"),
    [
        ("VN", "VNM", "Vietnam", "Viêt Nam"),
        ("KH", "KHM", "Cambodia", "Cambodge"),
        ("DE", "DEU", "Germany", "Allemagne"),
        ("US", "USA", "United States", "États-Unis"),
    ],
)
def test_countries_are_named_in_french_and_english(
    code: str, alpha3: str, name_en: str, name_fr: str
) -> None:
    found = country(code)

    assert (found.code, found.alpha3, found.name_en, found.name_fr) == (
        code,
        alpha3,
        name_en,
        name_fr,
    )


def test_laos_has_a_french_name() -> None:
    assert country("LA").name_fr.startswith("Lao")
    assert country("LA").name_en == "Laos"


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("XX", "unknown-country"),
        ("QQ", "unknown-country"),
        ("VNM", "iso-3166-alpha-2"),
        ("vn", "iso-3166-alpha-2"),
        ("", "iso-3166-alpha-2"),
        ("V1", "iso-3166-alpha-2"),
        ("Viêt Nam", "iso-3166-alpha-2"),
    ],
)
def test_anything_but_a_known_alpha2_code_is_refused(code: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        country(code, "partner_countries[2]")

    assert (caught.value.field, caught.value.rule) == ("partner_countries[2]", rule)


def test_the_country_list_is_the_iso_table() -> None:
    countries = {c.code: c for c in all_countries()}

    assert len(countries) == 249
    assert countries["KH"].name_fr == "Cambodge"
    assert all(c.name_fr and c.name_en for c in countries.values())


def test_country_lists_are_deduplicated_in_order() -> None:
    assert values.countries("countries", ["VN", "KH", "VN", "LA"]) == ["VN", "KH", "LA"]


def test_an_empty_country_list_is_refused_only_when_required() -> None:
    assert values.countries("countries", [], required=False) == []
    with pytest.raises(ValidationError) as caught:
        values.countries("countries", [])
    assert (caught.value.field, caught.value.rule) == ("countries", "required")


# --- currencies and money ------------------------------------------------------


def test_currencies_are_iso_4217() -> None:
    assert (currency("EUR").code, currency("EUR").name) == ("EUR", "Euro")
    assert currency("USD").name == "US Dollar"


@pytest.mark.parametrize("code", ["EURO", "eur", "ABC", ""])
def test_unknown_currencies_are_refused(code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        currency(code, "budget.currency")

    assert (caught.value.field, caught.value.rule) == ("budget.currency", "unknown-currency")


def test_money_keeps_the_exact_decimal_amount() -> None:
    assert values.money("budget", Decimal("17230.50"), "EUR") == (Decimal("17230.50"), "EUR")


@pytest.mark.parametrize("amount", ["1E+3", "1000", "1000.0", "1000.00", "0.1E+4"])
def test_money_is_recorded_with_exactly_two_decimals(amount: str) -> None:
    recorded, _ = values.money("budget", Decimal(amount), "EUR")

    assert str(recorded) == "1000.00"


@pytest.mark.parametrize(
    ("amount", "code", "recorded"),
    [
        # No minor unit: CFA francs (West and Central Africa), yen.
        ("1500000", "XOF", "1500000"),
        ("1500000.00", "XAF", "1500000"),
        ("1E+3", "JPY", "1000"),
        # Three decimals: Tunisian and Jordanian dinars (millimes, fils).
        ("1.25", "TND", "1.250"),
        ("1.255", "TND", "1.255"),
        ("12", "JOD", "12.000"),
        ("1000", "EUR", "1000.00"),
    ],
)
def test_money_is_recorded_with_its_currencys_iso_4217_decimals(
    amount: str, code: str, recorded: str
) -> None:
    assert values.money("budget", Decimal(amount), code) == (Decimal(recorded), code)
    assert str(values.money("budget", Decimal(amount), code)[0]) == recorded


@pytest.mark.parametrize(
    ("amount", "code", "message"),
    [
        ("10.50", "JPY", "an amount in JPY is a whole number: JPY has no minor unit (ISO 4217)"),
        (
            "1500000.5",
            "XOF",
            "an amount in XOF is a whole number: XOF has no minor unit (ISO 4217)",
        ),
        ("1.2555", "TND", "an amount in TND has at most 3 decimals (ISO 4217)"),
        ("1.001", "EUR", "an amount in EUR has at most 2 decimals (ISO 4217)"),
    ],
)
def test_an_amount_finer_than_its_currencys_minor_unit_is_refused(
    amount: str, code: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        values.money("budget", Decimal(amount), code)

    assert (caught.value.field, caught.value.rule) == ("budget.amount", "scale")
    assert caught.value.detail == message


def test_budgets_in_currencies_of_small_units_are_not_refused_as_too_large() -> None:
    # 2,000,000 EUR in CFA francs and in dong: refused by the bound of earlier releases.
    assert values.money("budget", Decimal("1311914000"), "XOF")[0] == Decimal("1311914000")
    assert values.money("budget", Decimal("57000000000"), "VND")[0] == Decimal("57000000000")


@pytest.mark.parametrize("code", ["XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XBA", "XDR", "XSU"])
def test_iso_4217_codes_with_no_minor_unit_are_no_money(code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        values.money("budget", Decimal("10"), code)

    assert (caught.value.field, caught.value.rule) == ("budget.currency", "not-money")


def test_every_currency_has_its_minor_unit() -> None:
    assert [currency(c).minor_unit for c in ("EUR", "XOF", "JPY", "TND", "KWD", "CLF")] == [
        2,
        0,
        0,
        3,
        3,
        4,
    ]
    assert (minor_unit("TND"), minor_unit("XAU"), minor_unit("ABC")) == (3, None, None)


@pytest.mark.parametrize("amount", ["-0", "-0.00", "+0"])
def test_a_zero_amount_is_recorded_without_a_sign(amount: str) -> None:
    recorded, _ = values.money("budget", Decimal(amount), "EUR")

    assert str(recorded) == "0.00"  # "-0.00" was recorded for ever


@pytest.mark.parametrize(
    ("amount", "rule"),
    [
        (Decimal("-0.01"), "range"),
        (Decimal("1000000000000000.01"), "range"),
        (Decimal("NaN"), "range"),
        (Decimal("1.005"), "scale"),
        ("lots", "decimal"),
    ],
)
def test_invalid_amounts_are_refused(amount: Decimal, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        values.money("budget", amount, "EUR")

    assert (caught.value.field, caught.value.rule) == ("budget.amount", rule)


# --- vocabularies --------------------------------------------------------------


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda v: v.__name__)
def test_every_term_has_a_french_and_an_english_label(vocabulary: type[StrEnum]) -> None:
    for term in vocabulary:
        names = LABELS[term]
        assert names.fr.strip(), term
        assert names.en.strip(), term


def test_labels_are_chosen_by_language() -> None:
    assert label(Theme.COUNTERFEIT_MEDICINES) == "Contrefaçon de médicaments"
    assert label(Theme.COUNTERFEIT_MEDICINES, "en") == "Counterfeit medicines"
    assert describe(MissionStatus.DECLINED) == {
        "code": "declined",
        "fr": "Refusée",
        "en": "Declined",
    }


def test_an_unknown_code_names_the_allowed_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        values.one("mission_type", MissionType, "workshop")

    assert (caught.value.field, caught.value.rule) == ("mission_type", "vocabulary")
    assert "training-course" in caught.value.detail


def test_every_theme_maps_to_an_oecd_crs_purpose_code() -> None:
    assert set(CRS_PURPOSE_CODES) == set(Theme)
    assert all(10000 <= code <= 99999 for code in CRS_PURPOSE_CODES.values())
    assert CRS_PURPOSE_CODES[Theme.CRISIS_MANAGEMENT] == 74020
    assert CRS_PURPOSE_CODES[Theme.ILLEGAL_IMMIGRATION] == 15190
    assert CRS_PURPOSE_CODES[Theme.ORGANISED_CRIME] == 15210


def test_every_mission_status_maps_to_an_iati_activity_status() -> None:
    assert set(IATI_ACTIVITY_STATUS) == set(MissionStatus)
    assert all(1 <= code <= 6 for code in IATI_ACTIVITY_STATUS.values())
    assert IATI_ACTIVITY_STATUS[MissionStatus.REQUESTED] == 1
    assert IATI_ACTIVITY_STATUS[MissionStatus.LAUNCHED] == 2
    assert IATI_ACTIVITY_STATUS[MissionStatus.CANCELLED] == 5
    assert IATI_ACTIVITY_STATUS[MissionStatus.DECLINED] == 5
