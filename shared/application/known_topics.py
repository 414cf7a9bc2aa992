"""Stored events are read only as the event classes this code base writes.

The library's mapper turns a stored event's ``topic`` (``module:Class``) into a
class by importing ``module``, whatever it names. A row altered in the event
store could so make any service import any installed module (running its
top-level code) and hand the stored state to any class: ``os:system`` was
imported by the audit's walk and the tenant service alike. ``KnownTopicsMapper``
refuses a topic that is not one of Entente's events or receipts, as an event
that cannot be decoded (``MapperDeserialisationError``): the audit reports it
as altered, the API as an undecodable history. A state that does not decode as
its topic's class (another class's event: its upcasters fail) is refused alike.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import get_topic

from shared.application.claims import ClaimsReady, ValueClaim
from shared.application.receipt import CommandReceipt, ImportReceipt
from shared.domain.catalogue import DOMAIN_EVENT_TOPICS

#: Bookkeeping written once, at version 1, and never changed: receipts, the claims
#: marker, and a claim's first event (the audit reports any other version of them).
RECEIPT_TOPICS = frozenset([get_topic(CommandReceipt.Issued), get_topic(ImportReceipt.Imported)])
CREATED_ONCE_TOPICS = RECEIPT_TOPICS | {
    get_topic(ClaimsReady.Marked),
    get_topic(ValueClaim.Claimed),
}

#: A claim's later events: only ever after its ``Claimed`` (the audit checks it).
CLAIMED_TOPIC = get_topic(ValueClaim.Claimed)
CLAIM_CHANGE_TOPICS = frozenset([get_topic(ValueClaim.Released), get_topic(ValueClaim.Retaken)])

#: Every topic the ledger writes: the domain events, the receipts and the claims.
KNOWN_TOPICS = frozenset([*DOMAIN_EVENT_TOPICS, *CREATED_ONCE_TOPICS, *CLAIM_CHANGE_TOPICS])


class KnownTopicsMapper(Mapper[UUID]):
    """The library's mapper, for the topics in ``KNOWN_TOPICS`` only."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        if stored_event.topic not in KNOWN_TOPICS:
            raise MapperDeserialisationError(
                f"the stored event at version {stored_event.originator_version} of "
                f"{stored_event.originator_id} has topic {stored_event.topic[:120]!r}, "
                "which is no event type of Entente"
            )
        try:
            return super().to_domain_event(stored_event)
        except MapperDeserialisationError:
            raise
        except Exception as error:  # another class's state: its upcasters fail on it
            raise MapperDeserialisationError(
                f"the stored event at version {stored_event.originator_version} of "
                f"{stored_event.originator_id} does not decode as {stored_event.topic!r} "
                f"({type(error).__name__}: {error})"
            ) from error
