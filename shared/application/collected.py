"""The requests a post collected stay within its coverage.

A mission's request names the post that collected it (``post_id``), held to the
request's rule: a post of the directorate, open and covering one of the
mission's countries on the day it was requested. The post's own later commands
could break that rule after the fact: a closure dated back before requests it
collected, a coverage change giving up their country from an earlier day, a
redating moving that change earlier, an opening redated later. The requests
then named a post that, by its own record, was closed or elsewhere that day
(probe 9: a post closed as of March kept requests it collected in May and
July). Such a command is refused (422 ``collected-requests``), naming the
first request it would leave out; the request's post is corrected first
(``post_id``, or ``null``), or the command dated otherwise.

Finding them reads the directorate's mission requests and the corrections
naming a post (a rare command: a few a year per post). Like the request's own
check, this reads what is stored: a request recorded at the same moment as the
closure is not serialised with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.utils import get_topic

from shared.application.uniqueness import rows_of
from shared.domain.mission import Mission
from shared.domain.post import PostAbroad
from shared.errors import DomainRuleViolation

#: The post's events that can take a day or a country away from its coverage, and the
#: request field each refusal names.
REDUCING: dict[type[Any], str] = {
    PostAbroad.Closed: "closed_on",
    PostAbroad.CoverageChanged: "effective_on",
    PostAbroad.CoverageRedated: "effective_on",
    PostAbroad.OpeningRedated: "opened_on",
}
_MISSION_TOPICS = [get_topic(Mission.Requested), get_topic(Mission.Corrected)]


def check_collected_requests(app: Application[UUID], post: PostAbroad) -> None:
    """DomainRuleViolation if ``post`` as its unsaved events leave it no longer covers,
    on the day it was requested, a country of a mission it collected."""
    pending = post.pending_events
    if any(isinstance(event, PostAbroad.Opened) for event in pending):
        return  # a new post has collected nothing yet
    fields = [REDUCING[type(event)] for event in pending if type(event) in REDUCING]
    if not fields:
        return
    for mission in _collected_by(app, post.id):
        covered = set(post.covered_on(mission.requested_on)) & set(mission.countries)
        if not covered:
            day = mission.requested_on.isoformat()
            raise DomainRuleViolation(
                "collected-requests",
                f"the post collected the request of mission {mission.id} on {day} "
                f"({', '.join(mission.countries)}); after this command it would not cover "
                "any of these countries that day: correct that request's post_id first, "
                "or date the command otherwise",
                fields[0],
            )


def _collected_by(app: Application[UUID], post_id: UUID) -> Iterator[Mission]:
    """The missions whose request names ``post_id`` now, in the order recorded."""
    wanted = str(post_id)
    named: dict[UUID, None] = {}
    for notification in rows_of(app, _MISSION_TOPICS):
        event = app.mapper.to_domain_event(notification)
        if isinstance(event, Mission.Requested):
            said = event.post_id
        else:
            said = getattr(event, "changes", {}).get("post_id")
        if said == wanted:
            named[event.originator_id] = None
    for mission_id in named:
        mission: Any = app.repository.get(mission_id)
        if isinstance(mission, Mission) and mission.post_id == wanted:
            yield mission
