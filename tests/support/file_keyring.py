"""A keyring kept in a JSON file, for tests that run `kiosk run` as a child process.

The kiosk keeps the offline cache's keys in the OS keyring (``offline_cache.keys``). A test
that kills the kiosk and starts it again needs a keyring that outlives the process, as a
hall's desktop keyring does (docs/deploy.md "A hall that keeps secrets in a desktop
keyring"): the in-memory one of the in-process tests would give the second process new keys,
and nothing the first one queued would decrypt. The child process loads it with
``PYTHON_KEYRING_BACKEND=tests.support.file_keyring.FileKeyring`` and ``KIOSK_TEST_KEYRING``
naming the file (the test's own folder, never a real keyring). Never for production: the
file is plain text.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.backend
import keyring.errors

ENV = "KIOSK_TEST_KEYRING"
BACKEND = f"{__name__}.FileKeyring"


class FileKeyring(keyring.backend.KeyringBackend):
    """Entries in the JSON file ``$KIOSK_TEST_KEYRING`` (one process uses it at a time)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        path = os.environ.get(ENV)
        if not path:
            # keyring's detection tries every backend class it has seen (this one too, once
            # imported) and skips the ones that raise TypeError: never chosen by itself.
            raise TypeError(f"{ENV} is not set")
        self.path = Path(path)

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        assert isinstance(data, dict)
        return {str(k): str(v) for k, v in data.items()}

    def _save(self, entries: dict[str, str]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(entries), encoding="utf-8")
        tmp.replace(self.path)

    @staticmethod
    def _key(service: str, username: str) -> str:
        return f"{service}\x00{username}"

    def get_password(self, service: str, username: str) -> str | None:
        """The stored value, or None."""
        return self._load().get(self._key(service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a value."""
        entries = self._load()
        entries[self._key(service, username)] = password
        self._save(entries)

    def delete_password(self, service: str, username: str) -> None:
        """Forget a value; like real backends, complain when there is none."""
        entries = self._load()
        if entries.pop(self._key(service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)
        self._save(entries)
