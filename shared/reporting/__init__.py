"""Consolidated cross-ministry reporting: one projection of every tenant's log.

The reporting officer needs the ministry-wide picture — figures by country,
directorate, year, mission type and theme; agreements in force by country; who
works with which country on which theme; and the *overlaps* the DCI's
coherence role looks for. Each tenant's own views cannot answer that, and
reading them all at query time would couple reporting to every tenant's
database. So reporting keeps its own copy, built from the tenant topics through
the ``EventLog`` port with the discipline of ``shared.views``: one transaction
per batch holding the rows *and* the offsets, de-duplication by record version,
a stop (never a skip) on what it cannot apply.

Layout: ``tables`` / ``store`` (+ ``sqlite``, ``postgres``) hold the area;
``handlers`` + ``apply`` turn events into rows; ``overlaps`` finds overlaps
and raises alerts through the ``OverlapAlerts`` port; ``projector`` and
``runner`` consume the log; ``queries`` answer, ``exports`` render CSV/XLSX.
"""
