"""One post of a directorate covers a country on any given day.

Why: an action is counted for the post that covered its country on the
action's date (annual report ``by_post``, the posts' lists, reporting). Two
posts of one directorate covering Vietnam on the same days made a mission in
Vietnam count for both: the per-post figures overstated the network's
activity and nothing said so. So a command that makes a post cover a country
(an opening, a coverage change adding it) is refused, 409 ``country-covered``
naming the other post, when another post of the directorate covers that
country on any day from the new coverage's date on (a post's last coverage
lasts until it closes). Nothing is recorded. A handover is two commands: the
post giving the country up changes its coverage (or closes) first, then the
one taking it over adds it, from that day or later.

The periods of the posts are the judge. Two commands adding the same country
at the same moment would each read the posts before the other is saved; so
each also saves the country's coverage claim (a ``ValueClaim``: kind ``post
abroad``, field ``covered_countries``, the country code, held by the post
covering it now) in its transaction, and the second collides on the claim's
version and is refused the same way. A post giving a country up (a coverage
change, its closure) releases the claim; a closure withdrawn takes them again,
checked from the closing day on; an opening redated earlier is checked over the
days it gains. Posts of earlier releases have no
claims and need none: the periods still show what they cover, and the first
command to add the country writes its claim.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from shared.application.claims import ValueClaim, claim_id
from shared.application.uniqueness import find_claim, rows_of
from shared.domain.post import PostAbroad
from shared.errors import ValueTakenError

log = logging.getLogger("entente.ledger")

#: The claim's field: the post's covered countries, one claim per country.
FIELD = "covered_countries"
#: What a refused redating names: the date it asked for.
REDATED_FIELD = "effective_on"
#: What a refused opening redating names.
OPENED_FIELD = "opened_on"
_OPENED_TOPIC = get_topic(PostAbroad.Opened)
_COVERAGE_EVENTS = (PostAbroad.Opened, PostAbroad.CoverageChanged)


@dataclass(frozen=True)
class Period:
    """Days ``start`` (included) to ``end`` (excluded; None: until the post closes)."""

    start: date
    end: date | None
    countries: frozenset[str]

    def covers_from(self, country: str, day: date, until: date | None = None) -> bool:
        """Whether it covers ``country`` on a day from ``day`` on (until ``until``, excluded)."""
        if country not in self.countries or (self.end is not None and self.start >= self.end):
            return False
        return (self.end is None or day < self.end) and (until is None or self.start < until)


def span(found: Sequence[Period], index: int, country: str) -> Period:
    """The period at ``index`` widened to the consecutive periods that also cover
    ``country``: how long the post covers it without a break, as a refusal states it."""

    def holds(period: Period) -> bool:  # a period of no day (a same-day change) breaks nothing
        return country in period.countries or (
            period.end is not None and period.start >= period.end
        )

    first = last = index
    while first > 0 and holds(found[first - 1]):
        first -= 1
    while last + 1 < len(found) and holds(found[last + 1]):
        last += 1
    return Period(found[first].start, found[last].end, frozenset({country}))


def periods(post: PostAbroad) -> list[Period]:
    """The post's coverage as consecutive periods, the last ending at its closure."""
    history = post.coverage_history
    found: list[Period] = []
    for index, period in enumerate(history):
        end = history[index + 1]["from"] if index + 1 < len(history) else post.closed_on
        found.append(Period(period["from"], end, frozenset(period["countries"])))
    return found


def coverage_claims(app: Application[UUID], tenant: str, record: Any) -> list[Aggregate]:
    """The coverage claims a save of ``record`` takes or releases; none for other kinds.

    ValueTakenError when another post covers a country the record now adds, on a
    day of the new coverage.
    """
    if not isinstance(record, PostAbroad):
        return []
    pending = record.pending_events
    redated = [e for e in pending if isinstance(e, PostAbroad.CoverageRedated)]
    if redated:
        return _redating(app, tenant, record, redated[-1])
    reopened = [e for e in pending if isinstance(e, PostAbroad.OpeningRedated)]
    if reopened:
        return _opening_redated(app, tenant, record, reopened[-1])
    if any(isinstance(e, PostAbroad.Opened) for e in pending) and record.closed_on is not None:
        return _past_post(app, tenant, record)
    added, since, given_up = _changes(record)
    # The claims are read before the posts: a post saved after this read is seen by
    # the check below, or its claim's version makes this save collide.
    read = {c: find_claim(app, claim_id(tenant, record.record_name, FIELD, c)) for c in added}
    if added:
        withdrawn = any(isinstance(e, PostAbroad.ClosureWithdrawn) for e in pending)
        _refuse_overlap(app, record, added, since, field=None if withdrawn else FIELD)
    claims: list[Aggregate] = []
    for country in sorted(added):
        claim = read[country]
        if claim is None:
            key = claim_id(tenant, record.record_name, FIELD, country)
            claim = ValueClaim.take(key, record.record_name, FIELD, record.id, country)
        else:  # free, or held by a post whose periods no longer cover it (earlier releases)
            claim.retake(record.id, country)
        claims.append(claim)
    for country in sorted(given_up):
        claim = find_claim(app, claim_id(tenant, record.record_name, FIELD, country))
        if claim is not None and claim.holder == record.id:
            claim.release()
            claims.append(claim)
    return claims


def collision(
    app: Application[UUID], record: Any, claims: Sequence[Any], pending: Sequence[Any]
) -> ValueTakenError | None:
    """After a failed save: the country another post took meanwhile, if that is why.

    A claim this save took for the post, now another post's, is that country
    taken. Claims a redating or a post of the past wrote only to serialise
    (``_written_again``) collide with any command on those countries, overlapping
    or not: the periods are compared again, and only an overlap is answered as
    one (otherwise the ledger's "send this one again"). ``pending``: the
    command's events, which the save collected.
    """
    if not isinstance(record, PostAbroad):
        return None
    ours = [c for c in claims if isinstance(c, ValueClaim) and c.field == FIELD]
    for claim in ours:
        if claim.holder != record.id:
            continue
        stored = find_claim(app, claim.id)
        if stored is not None and stored.holder not in (None, record.id):
            return _covered(claim.value, stored.holder, _post(app, stored.holder), None)
    redated = [e for e in pending if isinstance(e, PostAbroad.CoverageRedated)]
    reopened = [e for e in pending if isinstance(e, PostAbroad.OpeningRedated)]
    try:
        if redated:
            _redating_overlap(app, record, redated[-1])
        elif reopened:
            _opening_overlap(app, record, reopened[-1])
        elif any(isinstance(e, PostAbroad.Opened) for e in pending) and ours:
            _past_post_overlap(app, record)
    except ValueTakenError as taken:
        return taken
    return None


def _changes(post: PostAbroad) -> tuple[set[str], date, set[str]]:
    """What the post's unsaved events change: the countries it adds and from when, and
    those it gives up (by a coverage change; all of them by its closure).

    Each opening or coverage change appended one period to ``coverage_history``,
    so the unsaved ones are its last periods, and the one before them (none for
    an opening) is the coverage before the command.
    """
    pending = post.pending_events
    if any(isinstance(event, PostAbroad.Closed) for event in pending):
        return set(), post.coverage_since, set(post.covered_countries)
    withdrawn = [e for e in pending if isinstance(e, PostAbroad.ClosureWithdrawn)]
    if withdrawn:  # covered again from the closing day, as a coverage change adding them
        return set(post.covered_countries), withdrawn[-1].closed_on, set()
    changed = sum(isinstance(event, _COVERAGE_EVENTS) for event in pending)
    history = post.coverage_history
    first = len(history) - changed
    before = set(history[first - 1]["countries"]) if first > 0 else set()
    added: set[str] = set()
    since = post.coverage_since
    previous = before
    for period in history[first:]:
        countries = set(period["countries"])
        if countries - previous:
            added |= countries - previous
            since = min(since, period["from"])
        previous = countries
    return added & previous, since, before - previous


def _refuse_overlap(
    app: Application[UUID],
    post: PostAbroad,
    added: set[str],
    since: date,
    until: date | None = None,
    field: str | None = FIELD,
) -> None:
    """ValueTakenError if another post covers one of ``added`` on a day from ``since``
    on (until ``until``, excluded; None: for ever, as a post's last coverage lasts).

    ``field``: the request's field the refusal names (``effective_on`` for a redating;
    None for a closure withdrawn, whose request names no country nor day).
    """
    for other in _posts(app):
        if other.id == post.id:
            continue
        found = periods(other)
        for index, period in enumerate(found):
            for country in sorted(added & period.countries):
                if period.covers_from(country, since, until):
                    raise _covered(country, other.id, other, span(found, index, country), field)


def _redating(
    app: Application[UUID], tenant: str, post: PostAbroad, event: PostAbroad.CoverageRedated
) -> list[Aggregate]:
    """The check and claims of a redated coverage change.

    Redated earlier, the countries it added are covered from the new day: they
    are the post's now (its claims), so no other post can take them meanwhile.
    Redated later, the countries it gave up stay covered until the new day; another
    post could be taking one of them at this moment, so their claims (free) are
    written too, to collide with such a save.
    """
    history = post.coverage_history
    if event.effective_on < event.recorded_effective_on:
        _redating_overlap(app, post, event)
        return []
    kept = set(history[-2]["countries"]) - set(history[-1]["countries"])
    read = {c: find_claim(app, claim_id(tenant, post.record_name, FIELD, c)) for c in kept}
    _redating_overlap(app, post, event)
    return _written_again(tenant, post, read)


def _redating_overlap(
    app: Application[UUID], post: PostAbroad, event: PostAbroad.CoverageRedated
) -> None:
    """ValueTakenError if the days a redating moves are another post's, for the countries
    it moves them for (redated earlier: those it added; later: those it gave up)."""
    history = post.coverage_history
    before, after = set(history[-2]["countries"]), set(history[-1]["countries"])
    recorded, new = event.recorded_effective_on, event.effective_on
    if new < recorded:
        _refuse_overlap(app, post, after - before, new, recorded, REDATED_FIELD)
    else:
        _refuse_overlap(app, post, before - after, recorded, new, REDATED_FIELD)


def _opening_redated(
    app: Application[UUID], tenant: str, post: PostAbroad, event: PostAbroad.OpeningRedated
) -> list[Aggregate]:
    """The check and claims of a redated opening.

    Redated later, the post covers fewer days: nothing to compare (the requests it
    collected are checked apart, ``shared.application.collected``). Redated earlier,
    its first countries are covered on the days it gains, which another post may be
    taking at this moment (the post may no longer cover them, so it holds no claim):
    their claims are written again, as a redating's, to collide with such a save.
    """
    if event.opened_on > event.recorded_opened_on:
        return []
    countries = set(post.coverage_history[0]["countries"])
    read = {c: find_claim(app, claim_id(tenant, post.record_name, FIELD, c)) for c in countries}
    _opening_overlap(app, post, event)
    return _written_again(tenant, post, read)


def _opening_overlap(
    app: Application[UUID], post: PostAbroad, event: PostAbroad.OpeningRedated
) -> None:
    """ValueTakenError if another post covers one of the post's first countries on a day
    an opening redated earlier gains."""
    if event.opened_on < event.recorded_opened_on:
        countries = set(post.coverage_history[0]["countries"])
        _refuse_overlap(
            app, post, countries, event.opened_on, event.recorded_opened_on, OPENED_FIELD
        )


def _past_post(app: Application[UUID], tenant: str, post: PostAbroad) -> list[Aggregate]:
    """The check and claims of a post opened and closed in one command (a post of the past).

    It covers its countries from its opening to its closure, and none now: no
    claim is its own, but the free ones are written, as a later redating's are,
    so another post taking one of its countries at this moment collides.
    """
    countries = set(post.coverage_history[0]["countries"])
    read = {c: find_claim(app, claim_id(tenant, post.record_name, FIELD, c)) for c in countries}
    _past_post_overlap(app, post)
    return _written_again(tenant, post, read)


def _past_post_overlap(app: Application[UUID], post: PostAbroad) -> None:
    """ValueTakenError if another post covers one of a past post's countries in its period."""
    opened = post.coverage_history[0]
    _refuse_overlap(app, post, set(opened["countries"]), opened["from"], post.closed_on)


def _written_again(
    tenant: str, post: PostAbroad, read: dict[str, ValueClaim | None]
) -> list[Aggregate]:
    """The claims of ``read`` written again, unchanged, so that another command on one of
    these countries at this moment collides with this one: a free claim is released
    again (a new one taken and released at once), a held one taken again by its holder.
    The command holds none of them: the periods the check compared are the judge.

    A held claim was left alone until 2026-12-07: two posts of the past for a country
    an open post holds, sent together, were both recorded, over the same days.
    """
    claims: list[Aggregate] = []
    for country, claim in sorted(read.items()):
        if claim is None:
            claim = ValueClaim.take(
                claim_id(tenant, post.record_name, FIELD, country),
                post.record_name,
                FIELD,
                post.id,
                country,
            )
            claim.release()
        elif claim.holder is None:
            claim.release()
        else:
            claim.retake(claim.holder, claim.value)
        claims.append(claim)
    return claims


def _covered(
    country: str,
    holder: UUID,
    other: PostAbroad | None,
    period: Period | None,
    field: str | None = FIELD,
) -> ValueTakenError:
    name = "another post" if other is None else f"{other.name!r}"
    when = ""
    if period is not None:
        # The end is the first day without it: the refusal names the last day with it.
        last = None if period.end is None else period.end - timedelta(days=1)
        until = "until it closes" if last is None else f"to {last.isoformat()} included"
        when = f" from {period.start.isoformat()} {until}"
    if field is None:  # a closure withdrawn: the post would cover it again from its closure
        then = (
            "the post would cover it again from the day it closed, so its closure cannot be "
            "withdrawn while that coverage stands (a past one, never)"
        )
    elif field == OPENED_FIELD:
        then = (
            "the post would cover it from its new opening day, so it cannot be redated into "
            "that coverage: date the opening after it, or correct that post first"
        )
    else:
        then = (
            "end that coverage first (a coverage change or the closure of that post), then "
            "add the country from that day on"
        )
    return ValueTakenError(
        field,
        "country-covered",
        f"{country} is covered by {name} (post abroad {holder}){when}: a country is covered "
        f"by one post of a directorate at a time; {then}",
        str(holder),
    )


def _posts(app: Application[UUID]) -> Iterator[PostAbroad]:
    """Every post of the store (a few dozen per directorate), in the order opened."""
    for notification in rows_of(app, [_OPENED_TOPIC]):
        post = _post(app, UUID(str(notification.originator_id)))
        if post is not None:
            yield post


def _post(app: Application[UUID], post_id: UUID) -> PostAbroad | None:
    found: Any
    try:
        found = app.repository.get(post_id)
    except Exception as error:  # an altered history, which the audit reports
        log.warning("post %s not read, so its coverage is not compared: %s", post_id, error)
        return None
    return found if isinstance(found, PostAbroad) else None
