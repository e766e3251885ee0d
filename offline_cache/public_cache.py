"""Public content kept for when the platform cannot be reached.

Announcements, repair guides and service hours (``GET /v1/content``), the report-signing
JWKS (``/v1/keys``) and the card trust anchors (``/v1/trust-anchors``): each stored as the
bytes the platform sent, with its ETag and the time it was fetched or last revalidated. None of
it is personal, so it is not encrypted, and a cache file can be lost without harm
(``synchronous=NORMAL``: a power cut may cost the last update, never the file).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from offline_cache.db import Database, Schema, open_database
from offline_cache.errors import CacheCorrupt

CONTENT = "content"
JWKS = "jwks"
TRUST_ANCHORS = "trust_anchors"


def _v1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE public_cache (
            name TEXT PRIMARY KEY,
            etag TEXT,
            fetched_at REAL NOT NULL,
            body BLOB NOT NULL
        )"""
    )


SCHEMA = Schema("public cache", (_v1,))


@dataclasses.dataclass(frozen=True)
class CachedEntry:
    """A cached document: the bytes as served, their ETag and when they were last confirmed."""

    name: str
    body: bytes
    etag: str | None
    fetched_at: float

    def json(self) -> Any:
        """The body parsed as JSON.

        Raises:
            ValueError: The body is not JSON.
        """
        return json.loads(self.body)


class PublicCache:
    """ETag-keyed store of public documents.

    Args:
        path: The SQLite file (``<data_dir>/public-cache.sqlite3``).
        clock: Unix time.

    Raises:
        offline_cache.errors.CacheError: From ``open_database``.
    """

    def __init__(self, path: pathlib.Path, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._db: Database = open_database(path, SCHEMA, synchronous="NORMAL")

    @property
    def recovered(self) -> CacheCorrupt | None:
        """Set when a damaged cache file was moved aside at opening."""
        return self._db.recovered

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> PublicCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put(self, name: str, body: bytes, etag: str | None) -> None:
        """Keep a freshly fetched document (replacing the old one).

        Raises:
            offline_cache.errors.DiskFull: Not kept; the previous copy is still there.
            offline_cache.errors.CacheError: Another storage failure.
        """
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO public_cache (name, etag, fetched_at, body) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET etag = excluded.etag,"
                " fetched_at = excluded.fetched_at, body = excluded.body",
                (name, etag, self._clock(), body),
            )

    def put_json(self, name: str, value: Any, etag: str | None) -> None:
        """``put`` of a JSON value."""
        self.put(name, json.dumps(value, ensure_ascii=False).encode(), etag)

    def revalidated(self, name: str) -> None:
        """The platform answered 304: the copy is current as of now."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE public_cache SET fetched_at = ? WHERE name = ?", (self._clock(), name)
            )

    def get(self, name: str) -> CachedEntry | None:
        """The cached document, or None if never fetched.

        Raises:
            offline_cache.errors.CacheError: A storage failure.
        """
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT etag, fetched_at, body FROM public_cache WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            return None
        return CachedEntry(name, bytes(row[2]), row[0], float(row[1]))

    def etag(self, name: str) -> str | None:
        """The ETag to send as ``If-None-Match`` (None: fetch in full)."""
        entry = self.get(name)
        return None if entry is None else entry.etag
