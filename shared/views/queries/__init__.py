"""The directorate's questions, answered from its views.

Each function opens one read snapshot, so the rows of an answer and the
``position`` it reports agree: a client can tell whether its own write is in.
Filters are validated against the vocabularies (a typo is a 422, not an empty
list), and answers are plain JSON-ready dicts: dates ISO, amounts strings.
"""

from shared.views.queries.agreements import agreements_register
from shared.views.queries.country import country_file
from shared.views.queries.delegations import delegations_calendar
from shared.views.queries.missions import awaiting_validation, missions_board
from shared.views.queries.paging import DEFAULT_LIMIT, MAX_LIMIT, Page
from shared.views.queries.posts import posts_directory
from shared.views.queries.report import annual_report

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Page",
    "agreements_register",
    "annual_report",
    "awaiting_validation",
    "country_file",
    "delegations_calendar",
    "missions_board",
    "posts_directory",
]
