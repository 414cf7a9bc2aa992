"""Sealed page cursors: a list's keyset values, encrypted, so a cursor tells nothing.

A keyset cursor carries the last row's sort values. For the overlaps list these
include a pair's mission ids and the start of the days they share, which a
restricted mission must never show (counted, never detailed): base64 alone
would hand them to whoever decodes the cursor. So the values are sealed with
AES-GCM under a key kept in the reporting area itself (``cursor_keys``), the
one every reporting process reading that area shares, created on first use
(seeded from a key kept outside the area, when there is one: ``area_key``). The
list's name is the associated data: a cursor of one list is refused by another.

The same key, through a derivation of its own, makes the overlap pairs' ids
(``pair_id``): stable for subscribers, not computable by a reader.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import insert, select

from shared.errors import ValidationError
from shared.reporting.store import ReportingSession, ReportingStore

#: The one row of ``cursor_keys``.
KEY_ID = 1
_NONCE = 12


def seal(key: bytes, list_name: str, values: list[Any]) -> str:
    """The cursor of ``values`` (JSON) for ``list_name``: nonce and ciphertext, base64url."""
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(key).encrypt(nonce, json.dumps(values).encode(), list_name.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def opened(key: bytes, list_name: str, cursor: str) -> Any:
    """The values sealed in ``cursor`` for ``list_name``, or a 422 ``invalid-cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], list_name.encode())
        return json.loads(plain)
    except (ValueError, TypeError, binascii.Error, InvalidTag):
        raise ValidationError(
            "cursor", "invalid-cursor", "this cursor does not belong to this list"
        ) from None


def cursor_key(store: ReportingStore, session: ReportingSession) -> bytes:
    """The area's key, read in ``session``; made (in a write transaction) the first time."""
    found = _stored(session)
    if found is not None:
        return found
    with store.write() as writing:  # the area's write lock: one key, whoever comes first
        return key_in(writing)


def key_in(session: ReportingSession, seed: bytes | None = None) -> bytes:
    """The area's key, in a session that writes (the projection's): made there if new,
    from ``seed`` when one is given (``area_key``), else at random."""
    found = _stored(session)
    if found is None:
        found = seed or AESGCM.generate_key(bit_length=256)
        session.connection.execute(insert(session.tables.cursor_keys).values(id=KEY_ID, key=found))
    return found


def stored_key(session: ReportingSession) -> bytes | None:
    """The area's key, or None before it is made."""
    return _stored(session)


def pair_id(key: bytes, names: Sequence[str]) -> str:
    """An opaque, stable id of an overlap pair (its key's ``names``): a keyed hash.

    A plain hash of the pair's country, theme and mission ids could be computed by
    any reader who knows an open mission's id and guesses which restricted one it
    now meets; keyed with the area's key (its own derivation of it), it cannot.
    """
    pair_key = hmac.digest(key, b"entente:reporting:pair-id", "sha256")
    digest = hmac.digest(pair_key, ":".join(names).encode(), "sha256")
    return str(UUID(bytes=digest[:16], version=4))


def alert_id(key: bytes, name: str) -> str:
    """An alert's id: stable for its (kind, pair, cause) ``name``, keyed like ``pair_id``.

    A plain uuid5 of the name (the first release's) let a reader who knows an open
    mission's id recompute an alert's id for each restricted mission it guesses.
    """
    alert_key = hmac.digest(key, b"entente:reporting:alert-id", "sha256")
    digest = hmac.digest(alert_key, name.encode(), "sha256")
    return str(UUID(bytes=digest[:16], version=4))


def _stored(session: ReportingSession) -> bytes | None:
    keys = session.tables.cursor_keys
    found = session.connection.execute(
        select(keys.c.key).where(keys.c.id == KEY_ID)
    ).scalar_one_or_none()
    return None if found is None else bytes(found)
