"""The outbox: platform submissions kept on disk until the platform has them.

``enqueue`` returns only after its row has committed with ``synchronous=FULL``: that is the
acknowledgement, and nothing acknowledged is lost when the process is killed or the power
fails. Delivery is at-least-once (the sender may be killed after the platform answered and
before ``delivered``); the platform deduplicates by idempotency key / event id.

Payloads are JSON, sealed with AES-256-GCM: an objection's reason and a resident's bearer
token must not lie on disk in clear. The AAD is ``kind``, the idempotency key and the schema
version, so a sealed payload moved to another row does not decrypt. Rows that can never be
delivered (refused by the platform, or no longer decryptable) are moved to ``outbox_dead``
without their payload: staff see how many and why, nothing personal is kept.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import pathlib
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

from offline_cache import crypto
from offline_cache.db import Database, Schema, open_database
from offline_cache.errors import CacheCorrupt, CacheError, OutboxFull
from offline_cache.keys import KeyProvider

log = logging.getLogger(__name__)

DEFAULT_MAX_ITEMS = 10_000
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_KEY_LENGTH = 64  # the platform's Idempotency-Key limit (platform-api.md §5)
DEAD_RETENTION_S = 30 * 24 * 3600


def _v1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            idempotency_key TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            next_attempt_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            nonce BLOB NOT NULL,
            payload BLOB NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX outbox_due ON outbox (next_attempt_at, id)")
    conn.execute(
        """CREATE TABLE outbox_dead (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            created_at REAL NOT NULL,
            dead_at REAL NOT NULL,
            attempts INTEGER NOT NULL,
            reason TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE TABLE outbox_meta (name TEXT PRIMARY KEY, value REAL NOT NULL)")


SCHEMA = Schema("outbox", (_v1,))


@dataclasses.dataclass(frozen=True)
class OutboxItem:
    """One pending submission, decrypted.

    ``payload`` may hold a bearer token or free text typed by a resident: it is kept out of
    ``repr`` so it never lands in a log line.
    """

    id: int
    kind: str
    idempotency_key: str
    created_at: float
    attempts: int
    payload: dict[str, Any] = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class OutboxStats:
    """What the staff page and the heartbeat show.

    Attributes:
        size: Items waiting.
        max_items: The bound.
        full: ``size >= max_items``: new items are refused, staff must act.
        oldest_age_s: Age of the oldest waiting item (None when empty).
        last_delivery_at: Unix time of the last successful delivery (None: never).
        dead: Items given up on (kept without payload for ``DEAD_RETENTION_S``).
        recovered: Set when a damaged database was moved aside at opening.
    """

    size: int
    max_items: int
    full: bool
    oldest_age_s: float | None
    last_delivery_at: float | None
    dead: int
    recovered: CacheCorrupt | None


class Outbox:
    """Durable queue of pending platform submissions, safe to share between threads.

    Args:
        path: The SQLite file (``<data_dir>/outbox.sqlite3``).
        keys: Gives the AES-256 key sealing the payloads.
        max_items: Refuse new items beyond this many waiting (``OutboxFull``).
        clock: Unix time (wall clock: times survive restarts).
        max_page_count: SQLite size limit in pages (tests simulate a full disk with it).

    Raises:
        offline_cache.errors.CacheError: From ``open_database``.
    """

    def __init__(
        self,
        path: pathlib.Path,
        keys: KeyProvider,
        *,
        max_items: int = DEFAULT_MAX_ITEMS,
        clock: Callable[[], float] = time.time,
        max_page_count: int | None = None,
    ) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self._keys = keys
        self.max_items = max_items
        self._clock = clock
        self._db: Database = open_database(
            path, SCHEMA, synchronous="FULL", secure_delete=True, max_page_count=max_page_count
        )

    @property
    def path(self) -> pathlib.Path:
        """The database file."""
        return self._db.path

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _aad(kind: str, idempotency_key: str) -> bytes:
        return json.dumps(["outbox", kind, idempotency_key, SCHEMA.version]).encode()

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        idempotency_key: str,
        *,
        replace_pending: bool = False,
    ) -> int:
        """Keep a submission until it is delivered; returns its row id once committed.

        Enqueueing a key that is already waiting returns the existing row (same kind), so a
        caller retrying after a crash does not create a second submission.

        Args:
            kind: What the sender does with it (``print``, ``objection``, ``audit``...).
            payload: JSON-serialisable body for the sender; sealed at rest.
            idempotency_key: 1 to 64 characters, unique per submission, sent to the platform.
            replace_pending: Drop waiting items of the same kind first (a heartbeat only
                matters in its latest form).

        Raises:
            ValueError: Bad kind, key or payload (too large, not JSON).
            offline_cache.errors.OutboxFull: ``max_items`` are waiting; nothing was written.
            offline_cache.errors.DiskFull: The disk is full; nothing was written.
            offline_cache.errors.KeyUnavailable: The key cannot be read.
            offline_cache.errors.CacheError: Another storage failure; nothing was written.
        """
        if not kind:
            raise ValueError("kind is empty")
        if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
            raise ValueError(f"idempotency_key must be 1 to {MAX_KEY_LENGTH} characters")
        plain = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        if len(plain) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload is larger than {MAX_PAYLOAD_BYTES} bytes")
        nonce, sealed = crypto.seal(self._keys.key(), plain, self._aad(kind, idempotency_key))
        now = self._clock()
        with self._db.write() as conn:
            existing = conn.execute(
                "SELECT id, kind FROM outbox WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
            if existing is not None:
                if existing[1] != kind:
                    raise ValueError("idempotency_key already used for another kind")
                return int(existing[0])
            if replace_pending:
                conn.execute("DELETE FROM outbox WHERE kind = ?", (kind,))
            size = int(conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
            if size >= self.max_items:
                raise OutboxFull(self.max_items)
            cursor = conn.execute(
                "INSERT INTO outbox (kind, idempotency_key, created_at, next_attempt_at, nonce,"
                " payload) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, idempotency_key, now, now, nonce, sealed),
            )
            row_id = cursor.lastrowid
        assert row_id is not None
        return row_id

    def due(self, now: float | None = None, limit: int = 50) -> list[OutboxItem]:
        """Items whose next attempt is due, oldest first.

        A row that no longer decrypts (the key was replaced, or the bytes were altered) can
        never be delivered: it is moved to the dead items here and not returned.

        Raises:
            offline_cache.errors.KeyUnavailable: The key cannot be read.
            offline_cache.errors.CacheError: A storage failure.
        """
        now = self._clock() if now is None else now
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id, kind, idempotency_key, created_at, attempts, nonce, payload"
                " FROM outbox WHERE next_attempt_at <= ? ORDER BY id LIMIT ?",
                (now, limit),
            ).fetchall()
        key = self._keys.key()
        items: list[OutboxItem] = []
        for row_id, kind, idem, created_at, attempts, nonce, sealed in rows:
            plain = crypto.unseal(key, nonce, sealed, self._aad(kind, idem))
            data: object = None
            if plain is not None:
                try:
                    data = json.loads(plain)
                except ValueError:
                    data = None
            if not isinstance(data, dict):
                log.error("outbox item %d (%s) cannot be decrypted: given up", row_id, kind)
                self.dead([row_id], "undecryptable", now=now)
                continue
            items.append(OutboxItem(row_id, kind, idem, created_at, attempts, data))
        return items

    def delivered(self, ids: int | Sequence[int], now: float | None = None) -> None:
        """The platform has these items: forget them, note the delivery time.

        Raises:
            offline_cache.errors.CacheError: A storage failure (the items stay; they will be
                sent again and the platform deduplicates).
        """
        id_list = [ids] if isinstance(ids, int) else list(ids)
        now = self._clock() if now is None else now
        with self._db.write() as conn:
            conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in id_list])
            conn.execute(
                "INSERT INTO outbox_meta (name, value) VALUES ('last_delivery_at', ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (now,),
            )

    def failed(self, ids: int | Sequence[int], retry_at: float, error: str = "") -> None:
        """An attempt failed: count it and wait until ``retry_at``.

        Args:
            ids: The items tried.
            retry_at: Unix time of the next attempt.
            error: A short code for the staff page (never a payload value).

        Raises:
            offline_cache.errors.CacheError: A storage failure.
        """
        id_list = [ids] if isinstance(ids, int) else list(ids)
        with self._db.write() as conn:
            conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?"
                " WHERE id = ?",
                [(retry_at, error[:100], i) for i in id_list],
            )

    def dead(self, ids: int | Sequence[int], reason: str, now: float | None = None) -> None:
        """Give up on items the platform will never take; their payload is deleted.

        Args:
            ids: The items.
            reason: A short code (the platform's error code, ``undecryptable``...).
            now: Time of giving up.
        """
        id_list = [ids] if isinstance(ids, int) else list(ids)
        now = self._clock() if now is None else now
        with self._db.write() as conn:
            for i in id_list:
                conn.execute(
                    "INSERT OR REPLACE INTO outbox_dead (id, kind, idempotency_key, created_at,"
                    " dead_at, attempts, reason) SELECT id, kind, idempotency_key, created_at,"
                    " ?, attempts + 1, ? FROM outbox WHERE id = ?",
                    (now, reason[:100], i),
                )
                conn.execute("DELETE FROM outbox WHERE id = ?", (i,))
            conn.execute("DELETE FROM outbox_dead WHERE dead_at < ?", (now - DEAD_RETENTION_S,))

    def retry_now(self, now: float | None = None) -> int:
        """Make every waiting item due now (staff pressed "sync now"); returns how many.

        Raises:
            offline_cache.errors.CacheError: A storage failure.
        """
        now = self._clock() if now is None else now
        with self._db.write() as conn:
            cursor = conn.execute(
                "UPDATE outbox SET next_attempt_at = ? WHERE next_attempt_at > ?", (now, now)
            )
            return int(cursor.rowcount)

    def size(self) -> int:
        """Items waiting."""
        with self._db.read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def next_due_at(self) -> float | None:
        """Unix time the earliest waiting item becomes due (None when empty)."""
        with self._db.read() as conn:
            value = conn.execute("SELECT MIN(next_attempt_at) FROM outbox").fetchone()[0]
        return None if value is None else float(value)

    def stats(self, now: float | None = None) -> OutboxStats:
        """Backlog size, oldest item age, last delivery: for staff diagnostics and heartbeats.

        Raises:
            offline_cache.errors.CacheError: A storage failure.
        """
        now = self._clock() if now is None else now
        with self._db.read() as conn:
            size, oldest = conn.execute("SELECT COUNT(*), MIN(created_at) FROM outbox").fetchone()
            last = conn.execute(
                "SELECT value FROM outbox_meta WHERE name = 'last_delivery_at'"
            ).fetchone()
            dead = conn.execute("SELECT COUNT(*) FROM outbox_dead").fetchone()[0]
        return OutboxStats(
            size=int(size),
            max_items=self.max_items,
            full=int(size) >= self.max_items,
            oldest_age_s=None if oldest is None else max(0.0, now - float(oldest)),
            last_delivery_at=None if last is None else float(last[0]),
            dead=int(dead),
            recovered=self._db.recovered,
        )


def read_stats(
    path: pathlib.Path, *, max_items: int = DEFAULT_MAX_ITEMS, now: float | None = None
) -> OutboxStats | None:
    """``Outbox.stats`` read from the file without opening it for writing (``kiosk diag``).

    Read-only: no key is needed, nothing is migrated or moved aside, so it is safe while the
    kiosk runs. None when the file does not exist yet (nothing was ever queued).

    Raises:
        offline_cache.errors.CacheError: The file cannot be read (locked, damaged, newer).
    """
    if not path.exists():
        return None
    now = time.time() if now is None else now
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0)
    except sqlite3.Error as exc:
        raise CacheError(f"{path.name}: cannot be opened: {exc}") from exc
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version == 0:
            return None  # created but never set up: nothing was queued
        if version > SCHEMA.version:
            raise CacheError(f"{path.name}: schema {version} is newer than this software")
        size, oldest = conn.execute("SELECT COUNT(*), MIN(created_at) FROM outbox").fetchone()
        last = conn.execute(
            "SELECT value FROM outbox_meta WHERE name = 'last_delivery_at'"
        ).fetchone()
        dead = conn.execute("SELECT COUNT(*) FROM outbox_dead").fetchone()[0]
    except sqlite3.Error as exc:
        raise CacheError(f"{path.name}: cannot be read: {exc}") from exc
    finally:
        conn.close()
    return OutboxStats(
        size=int(size),
        max_items=max_items,
        full=int(size) >= max_items,
        oldest_age_s=None if oldest is None else max(0.0, now - float(oldest)),
        last_delivery_at=None if last is None else float(last[0]),
        dead=int(dead),
        recovered=None,
    )
