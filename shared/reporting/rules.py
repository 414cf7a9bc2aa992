"""The counting rules, stated with every answer, in French and English.

A consolidated figure means nothing without its rule (the directorates'
published pages disagree for want of one), so each answer carries the rule
it was counted by. The rules for actions and agreements in force are the
annual report's own (``shared.views.queries.report``): one directorate's slice
of these figures is that directorate's report, and a test holds them to it.

The English texts are plain ASCII: CSV exports carry them in an HTTP header.
"""

from __future__ import annotations

RULES: dict[str, dict[str, str]] = {
    "figures": {
        "fr": "Actions : missions programmées, lancées, réalisées ou évaluées, comptées "
        "l'année de leur date de début (règle du rapport annuel). Une case croise pays, "
        "direction, année, type de mission et thème ; une action à plusieurs pays ou thèmes "
        "compte dans chacune de ses cases, si bien que les cases peuvent dépasser les totaux, "
        "qui comptent chaque action une fois. Budgets prévus et coûts réels additionnés par "
        "devise, jamais convertis. Les actions à diffusion restreinte sont comptées, jamais "
        "détaillées : leurs budgets et coûts ne sont pas dans les sommes.",
        "en": "Actions: missions scheduled, launched, completed or evaluated, counted in the "
        "year of their start date (the annual report's rule). A cell crosses country, "
        "directorate, year, mission type and theme; an action with several countries or "
        "themes counts in each of its cells, so cells may add up to more than the totals, "
        "which count each action once. Planned budgets and actual costs are summed per "
        "currency, never converted. Restricted actions are counted, never detailed: their "
        "budgets and costs are not in the sums.",
    },
    "matrix": {
        "fr": "Qui travaille avec quel pays sur quel thème : par direction, pays et thème, les "
        "actions comptées comme dans les chiffres (dans l'année si elle est donnée) et les "
        "accords en vigueur à la date de référence (31 décembre de l'année, la date "
        "demandée, sinon aujourd'hui) dont ce pays est partenaire et qui portent sur ce "
        "thème ; les accords à diffusion restreinte y sont comptés à l'année.",
        "en": "Who works with which country on which theme: per directorate, country and "
        "theme, the actions counted as in the figures (in the year, if one is given) and the "
        "agreements in force on the reference date (31 December of the year, the date asked "
        "for, else today) with that partner country and theme; restricted agreements are "
        "counted there by year.",
    },
    "agreements": {
        "fr": "En vigueur à une date : signés au plus tard ce jour-là, ni suspendus, ni "
        "dénoncés, ni expirés à cette date (règle du rapport annuel au 31 décembre). Un "
        "accord à plusieurs pays partenaires compte pour chacun, une fois dans les totaux. "
        "Les accords à diffusion restreinte sont comptés, jamais détaillés : à l'année "
        "(en vigueur un jour au moins de l'année de la date), pour que leurs dates ne se "
        "déduisent pas d'un jour à l'autre.",
        "en": "In force on a date: signed by then, and neither suspended, terminated nor "
        "expired on that date (the annual report's rule for 31 December). An agreement with "
        "several partner countries counts for each, once in the totals. Restricted "
        "agreements are counted, never detailed: by year (in force on at least one day of "
        "the date's year), so that their dates cannot be found by asking day after day.",
    },
    "overlaps": {
        "fr": "Chevauchements : paires de missions de deux directions différentes ayant un "
        "pays et un thème en commun, toutes deux programmées, lancées, réalisées ou évaluées, "
        "dont les dates (premier et dernier jour inclus) se recouvrent. Une mission à "
        "diffusion restreinte n'est désignée que par sa direction.",
        "en": "Overlaps: pairs of missions of two different directorates sharing a country "
        "and a theme, both scheduled, launched, completed or evaluated, whose dates (first "
        "and last day included) meet. A restricted mission is shown by its directorate only.",
    },
    "alerts": {
        "fr": "Alertes : un événement à chaque chevauchement apparu (overlap-detected) ou "
        "disparu (overlap-resolved), dans l'ordre où la consolidation les a constatés.",
        "en": "Alerts: one event each time an overlap appeared (overlap-detected) or went "
        "away (overlap-resolved), in the order the consolidation found them.",
    },
}
