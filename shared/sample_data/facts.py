"""The named facts of the source pages (../shared/seeds), as plain data.

Everything else the loader generates is plausible filler around these facts,
drawn with a fixed seed so every run produces the same commands.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

#: Posts abroad of the DCI network: (name, city, host country, covered countries, opened).
POSTS: dict[str, list[tuple[str, str, str, list[str], date]]] = {
    "police": [
        ("SSI Hanoï", "Hanoï", "VN", ["VN", "KH", "LA"], date(1999, 3, 1)),
        ("SSI Rabat", "Rabat", "MA", ["MA"], date(1990, 1, 1)),
        ("SSI Dakar", "Dakar", "SN", ["SN", "GM", "GW"], date(1995, 1, 1)),
        ("SSI Abidjan", "Abidjan", "CI", ["CI", "LR"], date(1996, 1, 1)),
        ("SSI Bogotá", "Bogotá", "CO", ["CO", "EC"], date(2001, 1, 1)),
        ("SSI Bucarest", "Bucarest", "RO", ["RO", "MD"], date(2004, 1, 1)),
        ("SSI Pékin", "Pékin", "CN", ["CN", "MN"], date(2003, 1, 1)),
        ("SSI Tunis", "Tunis", "TN", ["TN"], date(1992, 1, 1)),
    ],
    "gendarmerie": [
        ("SSI Bamako", "Bamako", "ML", ["ML"], date(2005, 1, 1)),
        ("SSI Niamey", "Niamey", "NE", ["NE"], date(2008, 1, 1)),
        ("SSI Beyrouth", "Beyrouth", "LB", ["LB", "JO"], date(2006, 1, 1)),
        ("SSI Mexico", "Mexico", "MX", ["MX", "GT"], date(2009, 1, 1)),
        ("SSI Bangkok", "Bangkok", "TH", ["TH", "MM"], date(2007, 1, 1)),
    ],
    "civil-protection": [],
}

#: Named agreements: tenant → list of sign() keyword arguments.
AGREEMENTS: dict[str, list[dict[str, Any]]] = {
    "police": [
        {
            "reference": "FR-VN-2009-AIG",
            "title": "Accord intergouvernemental de coopération en matière de sécurité intérieure",
            "kind": "intergovernmental-agreement",
            "partner_countries": ["VN"],
            "themes": [
                "illegal-immigration-and-document-fraud",
                "trafficking-in-human-beings",
                "narcotics",
                "organised-crime",
            ],
            "signed_on": date(2009, 11, 13),
            "signed_at": "Hanoï",
            "duration_months": None,
        },
        {
            "reference": "FR-VN-2011-CM",
            "title": "Convention de lutte contre la contrefaçon de médicaments",
            "kind": "funding-convention",
            "partner_countries": ["VN"],
            "themes": ["counterfeit-medicines"],
            "signed_on": date(2011, 12, 9),
            "signed_at": "Hanoï",
            "duration_months": 36,
            "funding": (Decimal("1000000.00"), "EUR"),
            "funder": "Ambassade de France au Vietnam",
        },
        {
            "reference": "FR-KH-2023-LOI",
            "title": "Lettre d'intention sur la formation de la police judiciaire cambodgienne",
            "kind": "letter-of-intent",
            "partner_countries": ["KH"],
            "themes": ["forensic-science", "organised-crime"],
            "signed_on": date(2023, 12, 20),
            "signed_at": "Phnom Penh",
            "duration_months": 36,
        },
    ],
    "gendarmerie": [],
    "civil-protection": [
        {
            "reference": "SC-MA-2021-AA",
            "title": "Arrangement administratif sur la formation des sapeurs-pompiers",
            "kind": "administrative-arrangement",
            "partner_countries": ["MA"],
            "themes": ["crisis-management-and-civil-protection"],
            "signed_on": date(2021, 12, 15),
            "signed_at": "Rabat",
            "duration_months": 60,
        },
        {
            "reference": "EU-CN-DRM-2012",
            "title": "EU–China Disaster Risk Management programme",
            "kind": "funding-convention",
            "partner_countries": ["CN"],
            "partner_organisations": ["EU"],
            "themes": ["crisis-management-and-civil-protection"],
            "signed_on": date(2012, 6, 1),
            "signed_at": "Pékin",
            "duration_months": 48,
            "funding": (Decimal("6000000.00"), "EUR"),
            "funder": "Commission européenne",
        },
    ],
}

#: The oldest civil-protection partners (since the 1950s), then later ones.
CIVIL_PROTECTION_PARTNERS = [
    ("DE", 1957),
    ("ES", 1959),
    ("IT", 1961),
    ("DZ", 1966),
    ("MA", 1968),
    ("TN", 1969),
    ("CI", 1972),
    ("BF", 1975),
    ("SN", 1977),
    ("PL", 1992),
    ("RO", 1994),
    ("HU", 1996),
    ("BG", 1998),
    ("CZ", 2000),
    ("SK", 2001),
    ("LT", 2003),
    ("HR", 2005),
    ("RS", 2007),
    ("BR", 2008),
    ("MX", 2009),
    ("CL", 2010),
    ("KZ", 2011),
    ("UZ", 2012),
    ("LB", 2012),
    ("JO", 2013),
    ("AE", 2014),
    ("QA", 2014),
    ("VN", 2015),
    ("KR", 2016),
    ("JP", 2016),
    ("CO", 2017),
    ("PE", 2017),
    ("AR", 2018),
    ("GE", 2018),
    ("AM", 2019),
    ("UA", 2019),
    ("MD", 2020),
    ("EG", 2021),
    ("IN", 2022),
    ("ID", 2023),
    ("PH", 2024),
]

#: Named missions: (tenant, title, type, countries, theme, place, start, end).
NAMED_MISSIONS = [
    (
        "police",
        "Stage de formation à la protection des mineurs",
        "training-course",
        ["VN"],
        "trafficking-in-human-beings",
        "Hanoï",
        date(2013, 7, 8),
        date(2013, 7, 12),
    ),
    (
        "police",
        "Conférence régionale sur la lutte contre le trafic des faux médicaments",
        "regional-conference",
        ["VN", "KH", "LA"],
        "counterfeit-medicines",
        "Hanoï",
        date(2013, 9, 17),
        date(2013, 9, 19),
    ),
    (
        "police",
        "Stage « Gestion d'une scène de crime »",
        "training-course",
        ["KH"],
        "forensic-science",
        "Phnom Penh",
        date(2013, 10, 14),
        date(2013, 10, 18),
    ),
    (
        "civil-protection",
        "Réunion des directeurs de centres de crise européens (BENELUX)",
        "regional-conference",
        ["BE", "NL", "LU"],
        "crisis-management-and-civil-protection",
        "Bruxelles",
        date(2019, 5, 2),
        date(2019, 5, 2),
    ),
    (
        "civil-protection",
        "Exercice grandeur nature du mécanisme européen : séisme",
        "exercise",
        ["ES", "PT", "IT"],
        "crisis-management-and-civil-protection",
        "Frontière franco-espagnole",
        date(2013, 4, 15),
        date(2013, 4, 18),
    ),
]

#: What each tenant's generated missions are about, and where.
PROFILES: dict[str, dict[str, Any]] = {
    "police": {
        "themes": [
            "illegal-immigration-and-document-fraud",
            "trafficking-in-human-beings",
            "narcotics",
            "counterfeit-medicines",
            "organised-crime",
            "terrorism",
            "cybercrime",
            "forensic-science",
            "border-management",
        ],
        "countries": ["VN", "KH", "LA", "MA", "SN", "CI", "CO", "RO", "CN", "TN", "GM", "EC"],
        "per_year": 14,
    },
    "gendarmerie": {
        "themes": [
            "public-order",
            "border-management",
            "organised-crime",
            "terrorism",
            "forensic-science",
            "road-safety",
            "cybercrime",
        ],
        "countries": ["ML", "NE", "LB", "JO", "MX", "GT", "TH", "MM", "SN", "CI"],
        "per_year": 10,
    },
    "civil-protection": {
        "themes": ["crisis-management-and-civil-protection"],
        "countries": [
            "DZ",
            "MA",
            "TN",
            "CI",
            "BF",
            "SN",
            "CN",
            "LB",
            "JO",
            "BR",
            "CL",
            "RO",
            "PL",
            "UA",
            "VN",
            "KZ",
        ],
        "per_year": 22,
    },
}

TOPIC_TITLES = {
    "illegal-immigration-and-document-fraud": "Détection de la fraude documentaire",
    "trafficking-in-human-beings": "Lutte contre la traite des êtres humains",
    "narcotics": "Lutte contre le trafic de stupéfiants",
    "counterfeit-medicines": "Lutte contre la contrefaçon de médicaments",
    "organised-crime": "Enquêtes sur la criminalité organisée",
    "terrorism": "Prévention du terrorisme",
    "cybercrime": "Investigations numériques",
    "forensic-science": "Police technique et scientifique",
    "border-management": "Gestion intégrée des frontières",
    "public-order": "Maintien de l'ordre public",
    "road-safety": "Contrôle routier et sécurité routière",
    "crisis-management-and-civil-protection": "Gestion de crise et secours",
}

HOST_SITES = ["Asnières-sur-Seine", "Aix-en-Provence"]
