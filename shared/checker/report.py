"""What the checker found: per place (topic, views) and in three headline counts.

The headline counts are what the fault tests assert and operators read first:

- **lost**: stored events that are not on the topic, or that the views do not
  reflect (an event missing in both places counts once);
- **duplicated**: record rows of the views at the stored version whose
  contents differ from a clean rebuild, which is what an event applied twice
  leaves behind (versions de-duplicate, so the version itself looks right), or
  an event altered in the store since it was projected (the summary says
  "duplicated or altered" then: only the audit's chain tells the two apart);
- **reordered**: events that reached their record's partition after a later
  version of the same record, plus events of a record found on another
  partition than the rest of its history (no order holds across partitions).

Republished copies (identical messages a relay sends again after a crash, which
readers de-duplicate by record version) are reported apart and are not a
fault. Messages that differ from the stored event are ``altered``; messages
the store does not hold (``undecodable``, ``unknown``) are faults unless a
projector parked them (``parked``, as poison messages are).
"""

from __future__ import annotations

from dataclasses import dataclass

#: An event's identity across store, topic and views: (record id, record version).
EventKey = tuple[str, int]

#: How many examples of each finding the summary names.
EXAMPLES = 3


@dataclass(frozen=True)
class TopicFindings:
    """The tenant's event topic compared with the event store."""

    topic: str
    messages: int
    lost: frozenset[EventKey]
    republished: int
    reordered: int
    misrouted: int
    altered: int
    unknown: int
    undecodable: int
    parked: int
    examples: tuple[str, ...] = ()
    #: Messages holding their stored event with another link than the store's chain
    #: gives it: every one after an altered stored event, or forged links.
    relinked: int = 0

    @property
    def ok(self) -> bool:
        faults = (self.lost, self.reordered, self.misrouted, self.altered, self.relinked)
        return not any(faults) and not (self.unknown or self.undecodable)


@dataclass(frozen=True)
class ViewFindings:
    """The tenant's views compared with the event store and with a clean rebuild from it."""

    records: int
    not_applied: frozenset[EventKey]
    diverged: int
    ahead: int
    equal_to_rebuild: bool
    examples: tuple[str, ...] = ()
    #: Record rows whose version is not a number (a view row edited by hand).
    unreadable: int = 0

    @property
    def ok(self) -> bool:
        return (
            not (self.not_applied or self.diverged or self.ahead or self.unreadable)
            and self.equal_to_rebuild
        )


@dataclass(frozen=True)
class CheckReport:
    """One tenant's store, topic and views, checked against each other."""

    tenant: str
    stored: int
    topic: TopicFindings | None
    views: ViewFindings | None

    @property
    def lost(self) -> int:
        missing: set[EventKey] = set()
        if self.topic is not None:
            missing |= self.topic.lost
        if self.views is not None:
            missing |= self.views.not_applied
        return len(missing)

    @property
    def duplicated(self) -> int:
        return 0 if self.views is None else self.views.diverged

    @property
    def reordered(self) -> int:
        return 0 if self.topic is None else self.topic.reordered + self.topic.misrouted

    @property
    def republished(self) -> int:
        return 0 if self.topic is None else self.topic.republished

    @property
    def ok(self) -> bool:
        return all(part.ok for part in (self.topic, self.views) if part is not None)

    def summary(self) -> str:
        """A few lines an operator can read: the verdict, the counts, then examples."""
        verdict = "OK" if self.ok else "FAILED"
        # A record whose view rows differ from a rebuild had an event applied twice, or
        # one altered in the store since: "duplicated 1" of an edited event misled
        # (probe 12), and only the store's chain tells which.
        duplicated = f"duplicated {self.duplicated}"
        if self.duplicated:
            duplicated = (
                f"duplicated or altered {self.duplicated} (`entente audit verify "
                f"{self.tenant}` tells an altered event)"
            )
        lines = [
            f"check of {self.tenant}: {verdict} — {self.stored} stored events; "
            f"lost {self.lost}, {duplicated}, reordered {self.reordered}"
        ]
        if self.topic is not None:
            t = self.topic
            lines.append(
                f"  topic {t.topic}: {t.messages} messages, {len(t.lost)} stored events missing, "
                f"{t.republished} republished copies (de-duplicated by readers), "
                f"{t.reordered} out of order, {t.misrouted} on a foreign partition, "
                f"{t.altered} altered, {t.unknown} unknown to the store, "
                f"{t.undecodable} undecodable, {t.parked} parked by the projector, "
                f"{t.relinked} with another link than the store's chain (each one after an "
                "event altered in the store does: `entente audit verify` names that event)"
            )
            lines.extend(f"    {example}" for example in t.examples)
        if self.views is not None:
            v = self.views
            same = "equal to" if v.equal_to_rebuild else "DIFFERENT from"
            lines.append(
                f"  views: {v.records} records, {len(v.not_applied)} events not applied, "
                f"{v.diverged} records diverged (an event applied twice, or one altered in "
                f"the store since it was projected), {v.ahead} ahead of "
                f"the store, {v.unreadable} unreadable; "
                f"contents {same} a clean rebuild from the store"
            )
            lines.extend(f"    {example}" for example in v.examples)
        return "\n".join(lines)


def first_examples(found: list[str]) -> tuple[str, ...]:
    """At most ``EXAMPLES`` of ``found``, and how many more there were."""
    shown = found[:EXAMPLES]
    if len(found) > EXAMPLES:
        shown.append(f"… and {len(found) - EXAMPLES} more")
    return tuple(shown)
