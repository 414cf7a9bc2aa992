"""The reporting queries: each answer in one snapshot, with its rule and positions."""

from shared.reporting.queries.agreements import agreements_in_force, reference_date
from shared.reporting.queries.common import Filters
from shared.reporting.queries.figures import DIMENSIONS, figures
from shared.reporting.queries.matrix import matrix
from shared.reporting.queries.overlaps import alerts, overlaps

__all__ = [
    "DIMENSIONS",
    "Filters",
    "agreements_in_force",
    "alerts",
    "figures",
    "matrix",
    "overlaps",
    "reference_date",
]
