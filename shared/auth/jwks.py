"""Where verification keys come from: a realm's JWKS URL, or the dev issuer in process.

Keys are fetched and cached; an unknown key id triggers one refresh, at most
every ``min_refresh_interval`` seconds, so a flood of forged key ids cannot turn
into a flood of requests to Keycloak. While the last fetch failed, an unknown key
id is a 503 (NotReadyError), not a 401: the token may be fine.

The set is also read again once it is ``max_age`` old. Fetched once and kept, a
key removed from the realm (the answer to a leaked key) stayed trusted for as
long as the process ran: tokens forged with it were accepted, writes included.
One caller reads it again while the others go on with the keys held; a failed
read keeps them (Keycloak down must not refuse every token) and is tried again
after ``max_age``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any, Protocol

import httpx
from jwt import PyJWK

from shared.errors import AuthenticationError, NotReadyError

log = logging.getLogger("entente.auth")

JwksDocument = dict[str, Any]
KEYS_UNAVAILABLE = "the signing keys cannot be fetched; try again shortly"


class JwksSource(Protocol):
    def key(self, kid: str) -> PyJWK:
        """The key with id ``kid``; raises AuthenticationError if there is none."""
        ...

    def published(self, kid: str) -> PyJWK | None:
        """The key with id ``kid`` as now held, without fetching; None if none."""
        ...

    def check_available(self) -> None:
        """Raises NotReadyError when no key is held and the key set cannot be read."""
        ...


class CachedJwks:
    """A JWKS fetched by ``fetch`` and cached, refreshed on an unknown key id."""

    def __init__(
        self,
        fetch: Callable[[], JwksDocument],
        min_refresh_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = 60.0,
    ) -> None:
        self._fetch = fetch
        self._min_interval = min_refresh_interval
        self._max_age = max_age
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._last_fetch: float | None = None
        self._last_fetch_failed = False
        self._lock = threading.Lock()
        self.fetch_count = 0

    def key(self, kid: str) -> PyJWK:
        self._refresh_if_stale()
        found = self._keys.get(kid)
        if found is None:
            # Under the lock: a caller arriving while another thread fetches waits
            # for that fetch rather than seeing its "failed until done" state.
            with self._lock:
                found = self._keys.get(kid)
                if found is None and self._may_refresh():
                    self._refresh()
                    found = self._keys.get(kid)
                failed = self._last_fetch_failed
            if found is None and failed:  # Keycloak down: not the token's fault
                raise NotReadyError(KEYS_UNAVAILABLE)
        if found is None:
            raise AuthenticationError("the token was signed with an unknown key")
        return found

    def published(self, kid: str) -> PyJWK | None:
        """The cached key with id ``kid`` (None if not cached); fetched again only when
        the set is ``max_age`` old, so a token verified with a removed key is not
        served from the verified-token cache either."""
        self._refresh_if_stale()
        return self._keys.get(kid)

    def check_available(self) -> None:
        """Raises NotReadyError when no key is held and the key set cannot be read.

        For readiness: a service started while Keycloak was down answered 503 to every
        token while its ``/readyz`` said ready (probe 5). Keys held (Keycloak down
        since) still verify tokens: ready. Reads at most once per refresh interval.
        """
        if self._keys:
            return
        with self._lock:
            if not self._keys and self._may_refresh():
                with suppress(NotReadyError):  # the failure is the answer below
                    self._refresh()
            if not self._keys and self._last_fetch_failed:
                raise NotReadyError(KEYS_UNAVAILABLE)

    def _refresh_if_stale(self) -> None:
        """Reads the set again once it is ``max_age`` old: by one caller, without
        making the others wait; a failed read keeps the keys held."""
        if not self._stale() or not self._lock.acquire(blocking=False):
            return
        try:
            if self._stale():  # not read meanwhile by the thread that held the lock
                self._refresh()
        except NotReadyError:
            log.warning("the signing keys could not be read again: the keys held are kept")
        finally:
            self._lock.release()

    def _stale(self) -> bool:
        last = self._last_fetch
        return last is not None and self._clock() - last >= self._max_age

    def _may_refresh(self) -> bool:
        last = self._last_fetch
        return last is None or self._clock() - last >= self._min_interval

    def _refresh(self) -> None:
        """Fetches the key set; the caller holds ``self._lock``."""
        self._last_fetch = self._clock()
        self.fetch_count += 1
        self._last_fetch_failed = True
        document = self._fetch()
        keys: dict[str, PyJWK] = {}
        for jwk in document.get("keys", []):
            if jwk.get("use", "sig") == "sig" and "kid" in jwk:
                try:
                    keys[jwk["kid"]] = PyJWK(jwk)
                except Exception:  # noqa: S112 - skip keys of unsupported types
                    continue
        self._keys = keys
        self._last_fetch_failed = False


def http_jwks(url: str, timeout: float = 5.0) -> Callable[[], JwksDocument]:
    """A fetcher for a realm's ``.../protocol/openid-connect/certs``.

    Keycloak down is no fault of the caller's token: it is a 503 (NotReadyError,
    with Retry-After), not a 401 that would send clients to log in again. The
    answer says nothing of the URL; the log does.
    """

    def fetch() -> JwksDocument:
        try:
            response = httpx.get(url, timeout=timeout)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("cannot fetch the signing keys from %s: %s", url, error)
            raise NotReadyError(KEYS_UNAVAILABLE) from None
        if not isinstance(document, dict):
            log.warning("the signing keys at %s are not a JWKS document", url)
            raise NotReadyError(KEYS_UNAVAILABLE)
        return document

    return fetch
