"""Per-request dependencies: the tenant's ledger and the command context.

Both are ``async``: they do no I/O, and a plain ``def`` dependency costs a
worker-thread round trip per request.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Request

from shared.application.ledger import CooperationLedger
from shared.auth.roles import Principal
from shared.domain.context import Actor, CommandContext
from shared.errors import AuthenticationError, ValidationError
from shared.tenancy import served_tenant

_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


async def ledger(request: Request, tenant: str) -> CooperationLedger:
    platform = request.app.state.platform
    return platform.ledger(served_tenant(tenant, list(platform.ledgers)))  # type: ignore[no-any-return]


async def command_context(
    request: Request,
    tenant: str,
    books: Annotated[CooperationLedger, Depends(ledger)],
    x_correlation_id: Annotated[
        str | None,
        Header(
            description="Ties the events of one user action",
            json_schema_extra={"pattern": _ID.pattern},
        ),
    ] = None,
    x_causation_id: Annotated[
        str | None,
        Header(
            description="The event or message that caused this command",
            json_schema_extra={"pattern": _ID.pattern},
        ),
    ] = None,
) -> CommandContext:
    for name, value in (("X-Correlation-Id", x_correlation_id), ("X-Causation-Id", x_causation_id)):
        if value is not None and not _ID.match(value):
            raise ValidationError(
                name, "format", f"{name} must be 1-100 characters of A-Z a-z 0-9 . _ : -"
            )
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # the route's policy must run first; fail closed if it did not
        raise AuthenticationError("a bearer token is required", challenge=None)
    actor = Actor(principal.subject, principal.name)
    today = books.latest_today()
    if x_correlation_id:
        return CommandContext(tenant, actor, x_correlation_id, x_causation_id, today=today)
    return CommandContext(tenant, actor, causation_id=x_causation_id, today=today)


Ledger = Annotated[CooperationLedger, Depends(ledger)]
Context = Annotated[CommandContext, Depends(command_context)]
