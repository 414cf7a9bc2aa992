"""A sheet for reading: its headers titled, and its codes named, in French or English.

Why: the files are opened by reporting staff of a French ministry, who read
"Viêt Nam" and "Formation" rather than ``VN`` and ``training-course``, and
"Dont diffusion restreinte" rather than ``restricted``. A file asked with
``lang`` has every column titled in that language and every coded cell (a
country, a theme, a mission type or status, a directorate, an agreement kind or
directorate in a column's name, a yes or no) given its label; the codes stay the
file's without ``lang``, for programs. The labels are the vocabularies' own
(``/vocabularies``), ISO 3166's French and English names
(``shared.domain.reference``) and the known directorates' names
(``shared.tenancy``), never typed here; a code without a label (a value a view
holds from an older release, a directorate added by configuration) stays as it
is rather than failing the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Literal

from shared.domain.reference import all_countries
from shared.domain.vocabulary import LABELS, AgreementKind, MissionStatus, MissionType, Theme
from shared.reporting.sheets import Sheet
from shared.tenancy import DIRECTORATE_NAMES

Lang = Literal["fr", "en"]

#: Each plain column's title: (French, English).
TITLES: dict[str, tuple[str, str]] = {
    "directorate": ("Direction", "Directorate"),
    "country": ("Pays", "Country"),
    "year": ("Année", "Year"),
    "mission_type": ("Type d'action", "Type of action"),
    "theme": ("Thème", "Theme"),
    "actions": ("Actions", "Actions"),
    "restricted": ("Dont diffusion restreinte", "Of which restricted"),
    "restricted_actions": ("Actions à diffusion restreinte", "Restricted actions"),
    "agreements_in_force": ("Accords en vigueur", "Agreements in force"),
    "restricted_agreements": ("Accords à diffusion restreinte", "Restricted agreements"),
    "in_force": ("Accords en vigueur", "Agreements in force"),
    "pair": ("Paire", "Pair"),
    "period_start": ("Début du chevauchement", "Overlap start"),
    "period_end": ("Fin du chevauchement", "Overlap end"),
    "detected_at": ("Détecté le", "Detected at"),
    "mission_id": ("Identifiant de la mission", "Mission id"),
    "title": ("Intitulé", "Title"),
    "status": ("Statut", "Status"),
    "place": ("Lieu", "Place"),
    "start_date": ("Date de début", "Start date"),
    "end_date": ("Date de fin", "End date"),
}

#: Columns named ``<prefix><rest>``: the title of the prefix, then the rest (a
#: currency in brackets; a directorate, an agreement kind's label after a colon).
PREFIXES: dict[str, tuple[str, str]] = {
    "budget_": ("Budget", "Budget"),
    "actual_cost_": ("Coût réel", "Actual cost"),
    "by_directorate.": ("Direction", "Directorate"),
    "by_kind.": ("Type d'accord", "Agreement kind"),
}
MONEY = ("budget_", "actual_cost_")

#: A flag's cell: (French, English) for False and True.
YES_NO = {False: ("non", "no"), True: ("oui", "yes")}

#: The two missions of an overlap's row: ``first_title`` is "Intitulé (mission 1)".
SIDES = {"first_": "1", "second_": "2"}


def _index(lang: Lang) -> int:
    return 0 if lang == "fr" else 1


def _vocabulary_labels(lang: Lang) -> dict[str, dict[str, str]]:
    """Each coded column's labels by code."""
    countries = {c.code: c.name_fr if lang == "fr" else c.name_en for c in all_countries()}

    def of(vocabulary: Any) -> dict[str, str]:
        return {term.value: getattr(LABELS[term], lang) for term in vocabulary}

    at = _index(lang)
    return {
        "directorate": {slug: names[at] for slug, names in DIRECTORATE_NAMES.items()},
        "country": countries,
        "theme": of(Theme),
        "mission_type": of(MissionType),
        "status": of(MissionStatus),
        "kind": of(AgreementKind),
    }


def labelled(sheet: Sheet, lang: Lang) -> Sheet:
    """``sheet`` with its columns titled and its coded cells named in ``lang``."""
    labels = _vocabulary_labels(lang)
    titles: list[str] = []
    cells: list[Callable[[Any], Any]] = []
    for column in sheet.columns:
        title, coded = _column(column, lang, labels)
        titles.append(title)
        cells.append(_naming(labels[coded] if coded else {}, lang))
    rows = [[name(value) for name, value in zip(cells, row, strict=True)] for row in sheet.rows]
    return replace(sheet, columns=titles, rows=rows, filters={**sheet.filters, "lang": lang})


def _column(column: str, lang: Lang, labels: dict[str, dict[str, str]]) -> tuple[str, str | None]:
    """The column's title, and the vocabulary of its cells (None: not coded)."""
    at = _index(lang)
    for side, number in SIDES.items():
        if column.startswith(side):
            title, coded = _column(column.removeprefix(side), lang, labels)
            return f"{title} (mission {number})", coded
    if column in TITLES:
        return TITLES[column][at], column if column in labels else None
    for prefix, names in PREFIXES.items():
        if column.startswith(prefix):
            rest = column.removeprefix(prefix)
            if prefix in MONEY:
                return f"{names[at]} ({rest})", None
            if prefix == "by_kind.":
                rest = labels["kind"].get(rest, rest)
            if prefix == "by_directorate.":
                rest = labels["directorate"].get(rest, rest)
            return f"{names[at]} : {rest}" if lang == "fr" else f"{names[at]}: {rest}", None
    return column, None


def _naming(labels: dict[str, str], lang: Lang) -> Callable[[Any], Any]:
    def name(value: Any) -> Any:
        return labels.get(value, value) if isinstance(value, str) else _said(value, lang)

    return name


def _said(value: Any, lang: Lang) -> Any:
    """A yes or no in ``lang`` (a restricted mission's flag read "False": probe 12)."""
    if isinstance(value, bool):
        return YES_NO[value][_index(lang)]
    return value
