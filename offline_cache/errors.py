"""Typed errors of the offline cache: what went wrong with local storage, never why in code.

Every environmental SQLite failure (disk full, corruption, a locked or unreadable file) becomes
one of these, so the kiosk can show staff a plain message instead of a traceback.
"""

from __future__ import annotations

import pathlib


class CacheError(Exception):
    """Local storage cannot be used right now; the message is safe to show to staff."""


class CacheCorrupt(CacheError):
    """A database file was damaged or not a database.

    When the opener finds this at start-up it moves the file aside (``quarantined_to``) and
    starts a fresh one; the instance is then kept as information for the staff page rather
    than raised.

    Attributes:
        path: The database that was damaged.
        quarantined_to: Where the damaged file was moved, or None if it was not moved.
        detail: SQLite's error name (``SQLITE_CORRUPT``, ``SQLITE_NOTADB``...).
    """

    def __init__(
        self,
        path: pathlib.Path,
        detail: str,
        quarantined_to: pathlib.Path | None = None,
    ) -> None:
        where = (
            f"; moved to {quarantined_to.name}, a fresh one was started" if quarantined_to else ""
        )
        super().__init__(f"local database {path.name} is damaged ({detail}){where}")
        self.path = path
        self.detail = detail
        self.quarantined_to = quarantined_to


class DiskFull(CacheError):
    """The disk (or the database's size limit) is full: the write was not committed."""


class OutboxFull(CacheError):
    """The outbox holds its maximum number of items: the new one was not accepted.

    Attributes:
        max_items: The configured bound.
    """

    def __init__(self, max_items: int) -> None:
        super().__init__(
            f"outbox is full ({max_items} items waiting); the platform has not been reached "
            "for a long time, staff must check the network"
        )
        self.max_items = max_items


class KeyUnavailable(CacheError):
    """The encryption key cannot be read or kept (no usable keyring backend, or it is locked)."""
