"""Applies a declarative realm file to Keycloak through its admin API, idempotently.

The only module that imports ``keycloak`` (python-keycloak). The realm file is
a subset of Keycloak's own realm representation (so ``kc.sh --import-realm``
reads it too). Provisioning creates what is missing and updates what differs,
comparing only what the file declares, so a second run changes nothing and
says so. What the file manages it converges exactly: a group's realm roles
and a user's groups among the roles and groups the file declares, and a
client's protocol mappers (a mapper added by hand is removed). It never
deletes a realm, role, group, client or user.

No secret is in the file: demo users get ``ENTENTE_DEMO_PASSWORD`` when they
are created (or have no password), and confidential clients keep the secret
Keycloak generated for them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from keycloak import KeycloakAdmin
from keycloak.exceptions import (
    KeycloakAuthenticationError,
    KeycloakConnectionError,
    KeycloakError,
    KeycloakGetError,
)
from pydantic import SecretStr, field_validator
from pydantic import ValidationError as SettingsError
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.errors import ConfigurationError, EntenteError

Representation = dict[str, Any]

#: The realm file's collections; every other top-level key is a realm setting.
COLLECTIONS = ("realm", "roles", "groups", "clients", "users")
#: A client attribute marking a dev/test-only client (left out by ``without_demo``).
DEMO_ATTRIBUTE = "entente.demo"
DEFAULT_REALM_FILE = Path("deploy/keycloak/realm-entente.json")


class KeycloakUnavailableError(EntenteError):
    """Raised when Keycloak cannot be reached or refuses the admin credentials."""

    title = "Keycloak unavailable"


class KeycloakRefusedError(EntenteError):
    """Raised when Keycloak answers a provisioning request with an error."""

    title = "Keycloak refused a change"


class AdminAccess(BaseSettings):
    """Where Keycloak's admin API is and who may use it (``ENTENTE_KEYCLOAK_*``)."""

    model_config = SettingsConfigDict(env_prefix="ENTENTE_", extra="ignore")

    keycloak_url: str
    keycloak_admin: str
    keycloak_admin_password: SecretStr
    demo_password: SecretStr | None = None

    @field_validator("keycloak_url")
    @classmethod
    def _a_plain_http_url(cls, url: str) -> str:
        """http(s), a host, a port in range, no credentials: messages name this URL, and one
        holding a password printed it; ``not-a-url`` and port 99999 read "is it running?"."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - reading it checks it
        except ValueError as error:
            raise ValueError(f"not a usable URL: {error}") from None
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("not a Keycloak URL: it needs http:// or https:// and a host")
        if parts.username is not None or parts.password is not None:
            raise ValueError(
                "holds credentials: give them in ENTENTE_KEYCLOAK_ADMIN and "
                "ENTENTE_KEYCLOAK_ADMIN_PASSWORD, not in the URL"
            )
        return url

    @classmethod
    def from_environment(cls) -> AdminAccess:
        try:
            return cls()
        except SettingsError as error:
            problems = error.errors()
            missing = [p for p in problems if p["type"] == "missing"]
            if len(missing) < len(problems):
                wrong = next(p for p in problems if p["type"] != "missing")
                name = f"ENTENTE_{wrong['loc'][0]}".upper()
                raise ConfigurationError(f"{name}: {wrong['msg']}") from None
            names = ", ".join(f"ENTENTE_{p['loc'][0]}".upper() for p in missing)
            raise ConfigurationError(f"set {names} to reach Keycloak's admin API") from None


@dataclass
class Report:
    """What one provisioning run changed, one line per change."""

    realm: str
    changes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.changes:
            return f"realm {self.realm}: up to date, 0 changes"
        plural = "" if len(self.changes) == 1 else "s"
        return f"realm {self.realm}: {len(self.changes)} change{plural}"


def load_realm(path: Path) -> Representation:
    """The realm file, checked for a realm name and free of secrets."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(f"cannot read the realm file {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"the realm file {path} is not JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("realm"), str):
        raise ConfigurationError(f"the realm file {path} names no realm")
    for user in document.get("users", []):
        if "credentials" in user or "realmRoles" in user:
            raise ConfigurationError(
                f"user {user.get('username')!r} in {path}: no credentials in the file, "
                "and roles come through groups only"
            )
    return document


def without_demo(realm: Representation) -> Representation:
    """The realm without demo users and dev/test-only clients: what production gets."""
    clients = [
        c for c in realm.get("clients", []) if c.get("attributes", {}).get(DEMO_ATTRIBUTE) != "true"
    ]
    return {**realm, "clients": clients, "users": []}


def provision(
    realm: Representation,
    access: AdminAccess,
    *,
    demo_password: str | None = None,
    reset_passwords: bool = False,
) -> Report:
    """Applies ``realm``; the report lists each change (none on a second run)."""
    password = demo_password or _secret(access.demo_password)
    if realm.get("users") and not password:
        raise ConfigurationError(
            "the realm file declares demo users: set ENTENTE_DEMO_PASSWORD "
            "(or provision --without-demo)"
        )
    report = Report(realm["realm"])
    with _translated_errors(access.keycloak_url):
        admin = _connect(access, realm["realm"])
        _Provisioner(admin, report, password or "", reset_passwords).apply(realm)
    return report


def _connect(access: AdminAccess, realm: str) -> KeycloakAdmin:
    """An admin client for ``realm``, logged in to ``master`` (fails here if it cannot)."""
    admin = KeycloakAdmin(
        server_url=access.keycloak_url,
        username=access.keycloak_admin,
        password=access.keycloak_admin_password.get_secret_value(),
        realm_name=realm,
        user_realm_name="master",
        timeout=20,
    )
    try:
        admin.connection.get_token()
    except KeycloakConnectionError:
        raise
    except KeycloakError:
        raise KeycloakUnavailableError(
            f"Keycloak at {access.keycloak_url} refused the admin credentials "
            "(ENTENTE_KEYCLOAK_ADMIN, ENTENTE_KEYCLOAK_ADMIN_PASSWORD)"
        ) from None
    return admin


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


@contextmanager
def _translated_errors(url: str) -> Iterator[None]:
    try:
        yield
    except KeycloakAuthenticationError:
        raise KeycloakUnavailableError(
            f"Keycloak at {url} refused the admin token: does the admin user have the admin role?"
        ) from None
    except KeycloakConnectionError:
        raise KeycloakUnavailableError(
            f"cannot reach Keycloak at {url} (ENTENTE_KEYCLOAK_URL): is it running?"
        ) from None
    except KeycloakError as error:
        message = error.error_message
        if isinstance(message, bytes):
            message = message.decode("utf-8", errors="replace")
        raise KeycloakRefusedError(
            f"Keycloak at {url} answered {error.response_code}: {message}"
        ) from None


class _Provisioner:
    """One run: compares the file with what Keycloak holds and fixes the differences."""

    def __init__(
        self, admin: KeycloakAdmin, report: Report, password: str, reset_passwords: bool
    ) -> None:
        self.admin = admin
        self.report = report
        self.password = password
        self.reset_passwords = reset_passwords
        self.managed_roles: set[str] = set()
        self.role_by_name: dict[str, Representation] = {}
        self.group_ids: dict[str, str] = {}

    def apply(self, realm: Representation) -> None:
        self._realm_settings(realm)
        roles = realm.get("roles", {}).get("realm", [])
        self.managed_roles = {role["name"] for role in roles}
        self._roles(roles)
        self.role_by_name = {r["name"]: r for r in self.admin.get_realm_roles()}
        for group in realm.get("groups", []):
            self._group(group, "", None)
        for client in realm.get("clients", []):
            self._client(client)
        for user in realm.get("users", []):
            self._user(user)

    def _changed(self, line: str) -> None:
        self.report.changes.append(line)

    def _realm_settings(self, realm: Representation) -> None:
        name = realm["realm"]
        settings = {k: v for k, v in realm.items() if k not in COLLECTIONS}
        current = self._existing_realm(name)
        if current is None:
            self.admin.create_realm({"realm": name, **settings})
            self._changed(f"created realm {name}")
            return
        differing = _differences(settings, current)
        if differing:
            self.admin.update_realm(name, differing)
            self._changed(f"updated realm settings: {', '.join(sorted(differing))}")

    def _existing_realm(self, name: str) -> Representation | None:
        try:
            found: Representation = self.admin.get_realm(name)
        except KeycloakGetError as error:
            if error.response_code == 404:
                return None
            raise
        return found

    def _roles(self, roles: list[Representation]) -> None:
        existing = {r["name"]: r for r in self.admin.get_realm_roles(brief_representation=False)}
        for role in roles:
            current = existing.get(role["name"])
            if current is None:
                self.admin.create_realm_role(role)
                self._changed(f"created role {role['name']}")
            elif differing := _differences(role, current):
                self.admin.update_realm_role(role["name"], _merged(current, differing))
                self._changed(f"updated role {role['name']}: {', '.join(sorted(differing))}")

    def _group(self, group: Representation, parent_path: str, parent_id: str | None) -> None:
        path = f"{parent_path}/{group['name']}"
        found = self._group_by_path(path)
        if found is None:
            group_id = self.admin.create_group({"name": group["name"]}, parent=parent_id)
            if group_id is None:
                raise KeycloakRefusedError(f"Keycloak gave no id for the new group {path}")
            self._changed(f"created group {path}")
        else:
            group_id = found["id"]
        self.group_ids[path] = group_id
        current = {r["name"] for r in self.admin.get_group_realm_roles(group_id)}
        self._converge_roles(path, group_id, set(group.get("realmRoles", [])), current)
        for child in group.get("subGroups", []):
            self._group(child, path, group_id)

    def _group_by_path(self, path: str) -> Representation | None:
        try:
            found: Representation = self.admin.get_group_by_path(path)
        except KeycloakGetError as error:
            if error.response_code == 404:
                return None
            raise
        return found

    def _converge_roles(
        self, path: str, group_id: str, wanted: set[str], current: set[str]
    ) -> None:
        missing = sorted(wanted - current)
        extra = sorted((current & self.managed_roles) - wanted)
        if missing:
            roles = [self.role_by_name[name] for name in missing]
            self.admin.assign_group_realm_roles(group_id, roles)
            self._changed(f"group {path}: granted {', '.join(missing)}")
        if extra:
            self.admin.delete_group_realm_roles(group_id, [self.role_by_name[n] for n in extra])
            self._changed(f"group {path}: revoked {', '.join(extra)}")

    def _client(self, client: Representation) -> None:
        client_id = client["clientId"]
        declared = {k: v for k, v in client.items() if k != "protocolMappers"}
        uuid = self.admin.get_client_id(client_id)
        if uuid is None:
            uuid = self.admin.create_client(declared)
            self._changed(f"created client {client_id}")
        else:
            current = self.admin.get_client(uuid)
            if differing := _differences(declared, current):
                self.admin.update_client(uuid, _merged(current, differing))
                self._changed(f"updated client {client_id}: {', '.join(sorted(differing))}")
        self._mappers(client_id, uuid, client.get("protocolMappers", []))

    def _mappers(self, client_id: str, uuid: str, mappers: list[Representation]) -> None:
        current = {m["name"]: m for m in self.admin.get_mappers_from_client(uuid)}
        for mapper in mappers:
            found = current.pop(mapper["name"], None)
            if found is None:
                self.admin.add_mapper_to_client(uuid, mapper)
                self._changed(f"client {client_id}: added mapper {mapper['name']!r}")
            elif _differences(mapper, found):
                self.admin.update_client_mapper(uuid, found["id"], _merged(found, mapper))
                self._changed(f"client {client_id}: updated mapper {mapper['name']!r}")
        for name, extra in current.items():
            self.admin.remove_client_mapper(uuid, extra["id"])
            self._changed(f"client {client_id}: removed undeclared mapper {name!r}")

    def _user(self, user: Representation) -> None:
        username = user["username"]
        declared = {k: v for k, v in user.items() if k != "groups"}
        user_id = self.admin.get_user_id(username)
        if user_id is None:
            user_id = self.admin.create_user({**declared, "requiredActions": []})
            self.admin.set_user_password(user_id, self.password, temporary=False)
            self._changed(f"created user {username}")
        else:
            current = self.admin.get_user(user_id)
            if differing := _differences(declared, current):
                self.admin.update_user(user_id, _merged(current, differing))
                self._changed(f"updated user {username}: {', '.join(sorted(differing))}")
            self._password(username, user_id)
        self._memberships(username, user_id, set(user.get("groups", [])))

    def _password(self, username: str, user_id: str) -> None:
        has_password = any(c.get("type") == "password" for c in self.admin.get_credentials(user_id))
        if self.reset_passwords or not has_password:
            self.admin.set_user_password(user_id, self.password, temporary=False)
            self._changed(f"set the password of user {username}")

    def _memberships(self, username: str, user_id: str, wanted: set[str]) -> None:
        current = {g["path"] for g in self.admin.get_user_groups(user_id)}
        for path in sorted(wanted - current):
            if path not in self.group_ids:
                raise ConfigurationError(f"user {username}: group {path} is not in the realm file")
            self.admin.group_user_add(user_id, self.group_ids[path])
            self._changed(f"user {username}: joined {path}")
        for path in sorted((current & set(self.group_ids)) - wanted):
            self.admin.group_user_remove(user_id, self.group_ids[path])
            self._changed(f"user {username}: left {path}")


def _differences(wanted: Representation, current: Representation) -> Representation:
    """The declared keys whose value Keycloak does not hold (maps compared as subsets)."""
    return {k: v for k, v in wanted.items() if not _same(v, current.get(k))}


def _same(wanted: Any, current: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(current, dict) and not _differences(wanted, current)
    if isinstance(wanted, list):  # Keycloak keeps lists such as redirect URIs as sets
        return isinstance(current, list) and sorted(map(_canonical, wanted)) == sorted(
            map(_canonical, current)
        )
    return bool(wanted == current)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _merged(current: Representation, changes: Representation) -> Representation:
    """``current`` with ``changes`` applied, maps merged key by key."""
    merged = dict(current)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(current.get(key), dict):
            merged[key] = _merged(current[key], value)
        else:
            merged[key] = value
    return merged
