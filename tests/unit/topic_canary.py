"""Imported only if a stored event's topic can make the ledger import any module (a defect).

``tests/unit/test_known_topics.py`` names this module in an altered row and checks that
it was never imported.
"""

IMPORTED = True


class Canary:
    """What the altered row names as its event class."""
