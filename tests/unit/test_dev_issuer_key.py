"""The dev issuer's key is made whole, once, however many processes start together."""

from __future__ import annotations

import errno
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shared.auth.dev_issuer import DEV_KEY_FILE, _load_or_create_key


def test_processes_starting_together_sign_with_one_key(tmp_path: Path) -> None:
    """Two servers on a new folder once signed with two keys: one refused the other's
    tokens (probe 4). The key is written beside and linked in place: one wins."""
    path = tmp_path / "data" / DEV_KEY_FILE
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: _load_or_create_key(path), range(8)))

    numbers = {key.private_numbers().d for key in keys}
    assert numbers == {_load_or_create_key(path).private_numbers().d}
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in path.parent.iterdir()) == [DEV_KEY_FILE]  # no draft left


def test_a_file_system_without_hard_links_still_gets_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``os.link`` fails with EPERM/ENOTSUP on some volumes: the key is moved in place."""

    def no_links(*_: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / DEV_KEY_FILE

    key = _load_or_create_key(path)

    assert key.private_numbers().d == _load_or_create_key(path).private_numbers().d
    assert sorted(p.name for p in tmp_path.iterdir()) == [DEV_KEY_FILE]
