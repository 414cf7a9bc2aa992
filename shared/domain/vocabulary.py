"""Closed, bilingual vocabularies, mapped to the international codelists.

Values are stable English slugs (they are stored in events and must never
change); labels are French and English for people; themes map to OECD CRS
purpose codes and mission statuses to IATI activity statuses so reports can be
exchanged with other administrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Label:
    """A term's display names; ``fr`` first because the users work in French."""

    fr: str
    en: str


class AgreementKind(StrEnum):
    INTERGOVERNMENTAL_AGREEMENT = "intergovernmental-agreement"
    BILATERAL_COOPERATION_AGREEMENT = "bilateral-cooperation-agreement"
    LETTER_OF_INTENT = "letter-of-intent"
    ADMINISTRATIVE_ARRANGEMENT = "administrative-arrangement"
    MEMORANDUM_OF_UNDERSTANDING = "memorandum-of-understanding"
    FUNDING_CONVENTION = "funding-convention"


class MissionType(StrEnum):
    TRAINING_COURSE = "training-course"
    EXPERT_MISSION = "expert-mission"
    AUDIT_MISSION = "audit-mission"
    STUDY_VISIT = "study-visit"
    SEMINAR = "seminar"
    REGIONAL_CONFERENCE = "regional-conference"
    EXERCISE = "exercise"
    EQUIPMENT_DONATION = "equipment-donation"


class Theme(StrEnum):
    ILLEGAL_IMMIGRATION = "illegal-immigration-and-document-fraud"
    HUMAN_TRAFFICKING = "trafficking-in-human-beings"
    NARCOTICS = "narcotics"
    COUNTERFEIT_MEDICINES = "counterfeit-medicines"
    ORGANISED_CRIME = "organised-crime"
    TERRORISM = "terrorism"
    CYBERCRIME = "cybercrime"
    CRISIS_MANAGEMENT = "crisis-management-and-civil-protection"
    ROAD_SAFETY = "road-safety"
    GOVERNANCE = "governance-and-local-government"
    BORDER_MANAGEMENT = "border-management"
    FORENSIC_SCIENCE = "forensic-science"
    PUBLIC_ORDER = "public-order"


class MissionStatus(StrEnum):
    REQUESTED = "requested"
    VALIDATED = "validated"
    DECLINED = "declined"
    SCHEDULED = "scheduled"
    LAUNCHED = "launched"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EVALUATED = "evaluated"


class AgreementStatus(StrEnum):
    IN_FORCE = "in-force"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class DelegationStatus(StrEnum):
    PLANNED = "planned"
    HOSTED = "hosted"
    CANCELLED = "cancelled"


class PostStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Classification(StrEnum):
    """Who may see a record's details; restricted items are counted, not detailed."""

    PUBLIC = "public"
    INTERNAL = "internal"
    RESTRICTED = "restricted"


class Organisation(StrEnum):
    EU = "EU"
    UN = "UN"
    UNHCR = "UNHCR"
    NATO = "NATO"
    INTERPOL = "INTERPOL"
    EUROPOL = "EUROPOL"
    OSCE = "OSCE"
    CEPOL = "CEPOL"
    FRANCOPOL = "FRANCOPOL"
    UFM = "UFM"
    COUNCIL_OF_EUROPE = "COE"
    AFRIPOL = "AFRIPOL"
    ASEANAPOL = "ASEANAPOL"


LABELS: dict[StrEnum, Label] = {
    AgreementKind.INTERGOVERNMENTAL_AGREEMENT: Label(
        "Accord intergouvernemental", "Intergovernmental agreement"
    ),
    AgreementKind.BILATERAL_COOPERATION_AGREEMENT: Label(
        "Accord de coopération bilatérale", "Bilateral cooperation agreement"
    ),
    AgreementKind.LETTER_OF_INTENT: Label("Lettre d'intention", "Letter of intent"),
    AgreementKind.ADMINISTRATIVE_ARRANGEMENT: Label(
        "Arrangement administratif", "Administrative arrangement"
    ),
    AgreementKind.MEMORANDUM_OF_UNDERSTANDING: Label(
        "Mémorandum d'entente", "Memorandum of understanding"
    ),
    AgreementKind.FUNDING_CONVENTION: Label("Convention de financement", "Funding convention"),
    MissionType.TRAINING_COURSE: Label("Formation", "Training course"),
    MissionType.EXPERT_MISSION: Label("Mission d'expertise", "Expert mission"),
    MissionType.AUDIT_MISSION: Label("Mission d'audit", "Audit mission"),
    MissionType.STUDY_VISIT: Label("Visite d'étude", "Study visit"),
    MissionType.SEMINAR: Label("Séminaire", "Seminar"),
    MissionType.REGIONAL_CONFERENCE: Label("Conférence régionale", "Regional conference"),
    MissionType.EXERCISE: Label("Exercice", "Exercise"),
    MissionType.EQUIPMENT_DONATION: Label("Don de matériel", "Equipment donation"),
    Theme.ILLEGAL_IMMIGRATION: Label(
        "Immigration irrégulière et fraude documentaire", "Illegal immigration and document fraud"
    ),
    Theme.HUMAN_TRAFFICKING: Label("Traite des êtres humains", "Trafficking in human beings"),
    Theme.NARCOTICS: Label("Stupéfiants", "Narcotics"),
    Theme.COUNTERFEIT_MEDICINES: Label("Contrefaçon de médicaments", "Counterfeit medicines"),
    Theme.ORGANISED_CRIME: Label("Criminalité organisée", "Organised crime"),
    Theme.TERRORISM: Label("Terrorisme", "Terrorism"),
    Theme.CYBERCRIME: Label("Cybercriminalité", "Cybercrime"),
    Theme.CRISIS_MANAGEMENT: Label(
        "Gestion de crise et sécurité civile", "Crisis management and civil protection"
    ),
    Theme.ROAD_SAFETY: Label("Sécurité routière", "Road safety"),
    Theme.GOVERNANCE: Label(
        "Gouvernance et administration territoriale", "Governance and local government"
    ),
    Theme.BORDER_MANAGEMENT: Label("Gestion des frontières", "Border management"),
    Theme.FORENSIC_SCIENCE: Label("Police technique et scientifique", "Forensic science"),
    Theme.PUBLIC_ORDER: Label("Ordre public", "Public order"),
    MissionStatus.REQUESTED: Label("Demandée", "Requested"),
    MissionStatus.VALIDATED: Label("Validée", "Validated"),
    MissionStatus.DECLINED: Label("Refusée", "Declined"),
    MissionStatus.SCHEDULED: Label("Programmée", "Scheduled"),
    MissionStatus.LAUNCHED: Label("Lancée", "Launched"),
    MissionStatus.COMPLETED: Label("Réalisée", "Completed"),
    MissionStatus.CANCELLED: Label("Annulée", "Cancelled"),
    MissionStatus.EVALUATED: Label("Évaluée", "Evaluated"),
    AgreementStatus.IN_FORCE: Label("En vigueur", "In force"),
    AgreementStatus.SUSPENDED: Label("Suspendu", "Suspended"),
    AgreementStatus.TERMINATED: Label("Dénoncé", "Terminated"),
    DelegationStatus.PLANNED: Label("Prévue", "Planned"),
    DelegationStatus.HOSTED: Label("Accueillie", "Hosted"),
    DelegationStatus.CANCELLED: Label("Annulée", "Cancelled"),
    PostStatus.OPEN: Label("Ouvert", "Open"),
    PostStatus.CLOSED: Label("Fermé", "Closed"),
    Classification.PUBLIC: Label("Public", "Public"),
    Classification.INTERNAL: Label("Diffusion restreinte interne", "Internal"),
    Classification.RESTRICTED: Label("Restreint", "Restricted"),
    Organisation.EU: Label("Union européenne", "European Union"),
    Organisation.UN: Label("Organisation des Nations unies", "United Nations"),
    Organisation.UNHCR: Label(
        "Haut-Commissariat des Nations unies pour les réfugiés", "UN Refugee Agency"
    ),
    Organisation.NATO: Label("OTAN", "NATO"),
    Organisation.INTERPOL: Label("INTERPOL", "INTERPOL"),
    Organisation.EUROPOL: Label("EUROPOL", "EUROPOL"),
    Organisation.OSCE: Label("OSCE", "OSCE"),
    Organisation.CEPOL: Label("CEPOL", "CEPOL"),
    Organisation.FRANCOPOL: Label("FRANCOPOL", "FRANCOPOL"),
    Organisation.UFM: Label("Union pour la Méditerranée", "Union for the Mediterranean"),
    Organisation.COUNCIL_OF_EUROPE: Label("Conseil de l'Europe", "Council of Europe"),
    Organisation.AFRIPOL: Label("AFRIPOL", "AFRIPOL"),
    Organisation.ASEANAPOL: Label("ASEANAPOL", "ASEANAPOL"),
}

#: OECD DAC/CRS purpose code of each theme (the closest purpose a report can use).
CRS_PURPOSE_CODES: dict[Theme, int] = {
    Theme.ILLEGAL_IMMIGRATION: 15190,
    Theme.HUMAN_TRAFFICKING: 15190,
    Theme.NARCOTICS: 16063,
    Theme.COUNTERFEIT_MEDICINES: 12110,
    Theme.ORGANISED_CRIME: 15210,
    Theme.TERRORISM: 15210,
    Theme.CYBERCRIME: 15210,
    Theme.CRISIS_MANAGEMENT: 74020,
    Theme.ROAD_SAFETY: 21020,
    Theme.GOVERNANCE: 15112,
    Theme.BORDER_MANAGEMENT: 15190,
    Theme.FORENSIC_SCIENCE: 15210,
    Theme.PUBLIC_ORDER: 15210,
}

#: IATI ActivityStatus code of each mission status
#: (1 pipeline, 2 implementation, 3 finalisation, 4 closed, 5 cancelled).
IATI_ACTIVITY_STATUS: dict[MissionStatus, int] = {
    MissionStatus.REQUESTED: 1,
    MissionStatus.VALIDATED: 1,
    MissionStatus.SCHEDULED: 1,
    MissionStatus.DECLINED: 5,
    MissionStatus.LAUNCHED: 2,
    MissionStatus.COMPLETED: 3,
    MissionStatus.EVALUATED: 4,
    MissionStatus.CANCELLED: 5,
}


def label(term: StrEnum, lang: str = "fr") -> str:
    """The display name of ``term`` in ``lang`` ("fr" or "en")."""
    names = LABELS[term]
    return names.en if lang == "en" else names.fr


def describe(term: StrEnum) -> dict[str, str]:
    """The code and both labels, as the API shows a term."""
    names = LABELS[term]
    return {"code": term.value, "fr": names.fr, "en": names.en}


#: The closed vocabularies the API serves, by the name of the list.
SERVED: dict[str, type[StrEnum]] = {
    "agreement_kinds": AgreementKind,
    "agreement_statuses": AgreementStatus,
    "mission_types": MissionType,
    "mission_statuses": MissionStatus,
    "themes": Theme,
    "organisations": Organisation,
    "delegation_statuses": DelegationStatus,
    "post_statuses": PostStatus,
    "classifications": Classification,
}


def vocabularies() -> dict[str, list[dict[str, str | int]]]:
    """Every closed vocabulary: each code with its French and English labels, and the
    international code it maps to (themes: OECD CRS purpose; mission statuses: IATI
    activity status), so a report in codes can be read, or exchanged, without this code.

    Records and figures carry the codes only; this is their key.
    """
    served: dict[str, list[dict[str, str | int]]] = {}
    for name, vocabulary in SERVED.items():
        terms: list[dict[str, str | int]] = []
        for term in vocabulary:
            entry: dict[str, str | int] = {**describe(term)}
            if isinstance(term, Theme):
                entry["crs_purpose_code"] = CRS_PURPOSE_CODES[term]
            if isinstance(term, MissionStatus):
                entry["iati_activity_status"] = IATI_ACTIVITY_STATUS[term]
            terms.append(entry)
        served[name] = terms
    return served
