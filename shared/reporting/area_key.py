"""The reporting area's key, kept outside the area so that a rebuild keeps its ids.

The key seals page cursors and derives the overlap pairs' and alerts' ids
(``cursors``). Made inside the area on first use, it went with the area: a
rebuild (the area dropped, then made again from the log) raised every alert
again under new ids, and a subscriber that deduplicates by CloudEvents id took
them all for new ones.

So a key kept elsewhere *seeds* the area: ``ENTENTE_REPORTING_KEY`` (a secret,
base64url of 32 bytes; distributed installs), else, for the embedded SQLite area,
the file ``<data_dir>/reporting.key`` beside it, made on first start (from the
area's own key when the area already has one, so an upgrade keeps its ids).
An area keyed with another key is refused at start rather than re-keyed: its
stored alerts carry the old ids, and mixing two keys would give one pair two ids.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.errors import ConfigurationError
from shared.private_dirs import create_private_file
from shared.reporting.cursors import key_in, stored_key
from shared.reporting.store import ReportingStore

#: The embedded area's key file, under ``data_dir``.
KEY_FILE = "reporting.key"
KEY_BYTES = 32


def decoded_key(text: str, where: str) -> bytes:
    """The key ``text`` holds (base64url of 32 bytes, padding optional), or a
    ConfigurationError naming ``where`` it came from and how to make one."""
    try:
        key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigurationError(
            f"{where} is not a reporting key: base64url of {KEY_BYTES} random bytes, e.g. "
            "python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32))"
            ".decode())'"
        )
    return key


def encoded_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def file_key(path: Path, store: ReportingStore) -> bytes:
    """The key of the file ``path``, made the first time: the area's own if it has one
    (its ids stay), else a new one."""
    if not path.exists():
        with store.read() as session:
            key = stored_key(session) or AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        create_private_file(path, (encoded_key(key) + "\n").encode())
    return decoded_key(path.read_text(encoding="ascii", errors="replace"), str(path))


def seed(store: ReportingStore, key: bytes, where: str) -> None:
    """Gives the area ``key`` if it has none; refuses an area keyed with another."""
    with store.write() as session:
        if key_in(session, key) != key:
            raise ConfigurationError(
                f"the reporting area was keyed with another key than {where}'s: its "
                "overlap pair and alert ids come from that key. Give back the key it was "
                "made with, or drop the area to rebuild it under this one (its ids then "
                "change once: tell the subscribers of its alerts)"
            )
