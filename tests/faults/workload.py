"""The traffic of the fault tests: agreements signed, amended, suspended and resumed.

Writers record through ``CooperationLedger`` into the real PostgreSQL store,
several commands per transaction (``ledger.save`` of the records they
changed, as a bulk import does): one command per transaction runs at about
150–200 events/s on the 2-core test machine, which would make 20,000 events
take two minutes; ten per transaction runs several times faster and still
spreads each record's history over many transactions, relay pages and
partitions. Choices come from a seeded RNG, so a failing run can be replayed.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import date
from uuid import UUID

from shared.application.ledger import CooperationLedger
from shared.domain.agreement import Agreement
from shared.domain.context import Actor, CommandContext
from shared.domain.vocabulary import AgreementStatus
from tests.agreements import signed_agreement

TODAY = date(2014, 6, 1)
SIGNED_ON = date(2011, 12, 9)
LATER = date(2012, 6, 1)

#: Commands per transaction.
PER_TRANSACTION = 10
#: Share of commands that sign a new agreement (the others change a recent one).
NEW_RECORDS = 0.25
#: How far back a change reaches among the writer's agreements.
RECENT = 200


def _sign(ctx: CommandContext, record_id: UUID, reference: str) -> Agreement:
    return signed_agreement(
        ctx, record_id, reference, partner_countries=["VN", "LA"], signed_on=SIGNED_ON
    )


def _change(ctx: CommandContext, agreement: Agreement, rng: random.Random) -> None:
    """Amends, suspends or resumes, whichever the agreement's status allows."""
    if agreement.status is AgreementStatus.SUSPENDED and rng.random() < 0.5:
        agreement.resume(ctx, LATER)
    elif agreement.status is AgreementStatus.IN_FORCE and rng.random() < 0.2:
        agreement.suspend(ctx, LATER, "audit under way")
    else:
        agreement.amend(ctx, LATER, f"Avenant {agreement.version}")


class Writer(threading.Thread):
    """Records ``total`` events for one tenant; ``written`` counts the committed ones."""

    def __init__(
        self,
        ledger: CooperationLedger,
        total: int,
        seed: int,
        name: str,
        rate: float | None = None,
    ) -> None:
        super().__init__(name=f"writer-{name}", daemon=True)
        self.ledger = ledger
        self.total = total
        self.rate = rate
        self.written = 0
        self.error: BaseException | None = None
        self._rng = random.Random(seed)
        self._ctx = CommandContext(ledger.tenant, Actor(f"u-{name}", "Claire Martin"))
        self._prefix = name
        self._agreements: list[Agreement] = []
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        """Writes as fast as it can, or at most ``rate`` events a second."""
        started = time.monotonic()
        try:
            while self.written < self.total and not self._halt.is_set():
                self.written += self._transaction(min(PER_TRANSACTION, self.total - self.written))
                if self.rate:
                    self._halt.wait(started + self.written / self.rate - time.monotonic())
        except BaseException as error:  # reported by the test, which joins the thread
            self.error = error
            raise

    def _transaction(self, commands: int) -> int:
        changed: dict[object, Agreement] = {}
        for _ in range(commands):
            agreement = self._command()
            changed[agreement.id] = agreement
        self.ledger.save(*changed.values())
        return commands

    def _command(self) -> Agreement:
        if len(self._agreements) < 10 or self._rng.random() < NEW_RECORDS:
            reference = f"{self._prefix}-{len(self._agreements)}"
            record_id = UUID(int=self._rng.getrandbits(128), version=4)
            self._agreements.append(_sign(self._ctx, record_id, reference))
            return self._agreements[-1]
        agreement = self._rng.choice(self._agreements[-RECENT:])
        _change(self._ctx, agreement, self._rng)
        return agreement
