"""The role model: tenant-scoped roles, never a bare role shared by tenants.

``<tenant>:recorder`` records, ``<tenant>:validator`` decides on foreign
requests, ``<tenant>:reader`` reads; ``reporting:reader`` sees consolidated
figures only; ``auditor`` reads everything and changes nothing;
``platform:admin`` reads the projector's status and no tenant's records (rebuilds and
provisioning are operators' commands, guarded by the credentials they need).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """What a route does, which decides who may call it."""

    READ = "read"  # a tenant's records and views
    RECORD = "record"  # record or change a tenant's records
    DECIDE = "decide"  # validate or decline a foreign request
    REPORT = "report"  # consolidated cross-ministry figures
    AUDIT = "audit"  # history, replay, verification
    ADMIN = "admin"  # rebuilds, provisioning


AUDITOR = "auditor"
REPORTING_READER = "reporting:reader"
PLATFORM_ADMIN = "platform:admin"


def tenant_role(tenant: str, name: str) -> str:
    return f"{tenant}:{name}"


@dataclass(frozen=True)
class Principal:
    """A verified caller: who, and which roles the token grants."""

    subject: str
    name: str
    roles: frozenset[str]

    def may(self, action: Action, tenant: str | None) -> bool:
        """Whether the roles allow ``action`` on ``tenant`` (None: not tenant-scoped)."""
        if self.audits_changes(action):
            return False
        if action is Action.REPORT:
            return REPORTING_READER in self.roles
        if action is Action.AUDIT:
            return AUDITOR in self.roles
        if action is Action.ADMIN:
            return PLATFORM_ADMIN in self.roles
        if tenant is None:
            return False
        return bool(self.roles & _tenant_roles(action, tenant))

    def audits_changes(self, action: Action) -> bool:
        """True when an auditor would record or decide: auditors change nothing, whatever
        other roles their token holds (one person given both, by a group or a mapper,
        would verify the history they wrote)."""
        return AUDITOR in self.roles and action in {Action.RECORD, Action.DECIDE}

    def reads_as_auditor(self, tenant: str) -> bool:
        """True when only the auditor role lets this caller read ``tenant``: an audit read,
        which the access log must record (a directorate's own people are not logged)."""
        own = _tenant_roles(Action.READ, tenant) - {AUDITOR}
        return AUDITOR in self.roles and not self.roles & own


def _tenant_roles(action: Action, tenant: str) -> set[str]:
    if action is Action.RECORD:
        return {tenant_role(tenant, "recorder")}
    if action is Action.DECIDE:
        return {tenant_role(tenant, "validator")}
    # READ: the directorate's own people, and auditors (read-only everywhere).
    return {tenant_role(tenant, r) for r in ("reader", "recorder", "validator")} | {AUDITOR}
