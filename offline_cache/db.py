"""Opening the cache's SQLite files: WAL, versioned schema, corruption quarantine, typed errors.

Each store has its own file, so a damaged public cache never costs the outbox its items. The
schema version lives in ``PRAGMA user_version``; ``Schema.migrations[i]`` takes a file from
version ``i`` to ``i + 1`` inside one transaction, so a crash mid-upgrade leaves the old
version intact. A damaged file (``SQLITE_CORRUPT``, ``SQLITE_NOTADB`` or a failing
``quick_check``) is renamed with a timestamp and a fresh one started, once: the kiosk keeps
running and staff are told through ``Database.recovered`` rather than by a crash loop.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import pathlib
import sqlite3
import threading
from collections.abc import Callable, Iterator

from offline_cache.errors import CacheCorrupt, CacheError, DiskFull

log = logging.getLogger(__name__)

Migration = Callable[[sqlite3.Connection], None]

# Primary SQLite result codes (sqlite3.h); the extended code's low byte is the primary one.
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26
_CORRUPT_CODES = (_SQLITE_CORRUPT, _SQLITE_NOTADB)

BUSY_TIMEOUT_S = 5.0


@dataclasses.dataclass(frozen=True)
class Schema:
    """A store's schema: one migration function per version step.

    Attributes:
        name: Short name for messages (``outbox``, ``public cache``).
        migrations: ``migrations[i]`` upgrades version ``i`` to ``i + 1`` (0 is an empty
            file); never edit a released step, add a new one.
    """

    name: str
    migrations: tuple[Migration, ...]

    @property
    def version(self) -> int:
        """The version this code writes."""
        return len(self.migrations)


def _primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def classify(exc: sqlite3.Error, path: pathlib.Path) -> CacheError:
    """The typed error for a SQLite failure on ``path`` (qutebrowser's ``raise_sqlite_error``).

    Programming errors (bad SQL, a violated constraint) are not environmental; callers let
    those propagate instead of calling this.
    """
    code = _primary_code(exc)
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    if code == _SQLITE_FULL:
        return DiskFull(
            f"disk full: {path.name} could not be written; nothing was saved. Free space "
            "on the kiosk's data disk (or raise its size limit)"
        )
    if code in _CORRUPT_CODES:
        return CacheCorrupt(path, name)
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return CacheError(f"{path.name} is locked by another process ({name})")
    if code in (_SQLITE_IOERR, _SQLITE_CANTOPEN):
        return CacheError(f"{path.name} cannot be read or written ({name})")
    return CacheError(f"{path.name}: {name}")


class Database:
    """One open SQLite file shared by the threads of a store; use ``write``/``read``.

    Attributes:
        path: The database file.
        recovered: Set when a damaged file was moved aside at opening (for the staff page).
    """

    def __init__(
        self, conn: sqlite3.Connection, path: pathlib.Path, recovered: CacheCorrupt | None
    ) -> None:
        self._conn = conn
        self.path = path
        self.recovered = recovered
        # One connection, one lock: SQLite connections must not run two statements at once.
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``); it has committed when the block exits.

        Raises:
            offline_cache.errors.DiskFull: The commit did not fit: nothing of it was kept.
            offline_cache.errors.CacheCorrupt: The file is damaged.
            offline_cache.errors.CacheError: Locked, unreadable, or another SQLite failure.
        """
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise classify(exc, self.path) from exc
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    # SQLite may already have rolled back by itself (SQLITE_FULL does).
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError) and not (
                    isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError)
                ):
                    raise classify(exc, self.path) from exc
                raise

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection for reads (autocommit: each statement sees committed data).

        Raises:
            offline_cache.errors.CacheError: As ``write``.
        """
        with self._lock:
            try:
                yield self._conn
            except (sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
                if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
                    raise
                raise classify(exc, self.path) from exc


def _quarantine(path: pathlib.Path, now: dt.datetime) -> pathlib.Path:
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    path.replace(target)
    # A stale WAL must go with its file: a fresh database must never replay it.
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
    return target


def _connect(path: pathlib.Path) -> sqlite3.Connection:
    # isolation_level=None: transactions are begun and committed explicitly, so the point
    # at which something is acknowledged is exactly the COMMIT.
    return sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )


def _prepare(
    conn: sqlite3.Connection,
    path: pathlib.Path,
    schema: Schema,
    synchronous: str,
    secure_delete: bool,
    max_page_count: int | None,
) -> None:
    """Settings, integrity check and migrations; raises sqlite3 errors or CacheError."""
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()
    if mode is None or str(mode[0]).lower() != "wal":
        raise CacheError(f"{path.name}: WAL mode could not be set")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute(f"PRAGMA secure_delete={'ON' if secure_delete else 'OFF'}")
    if max_page_count is not None:
        conn.execute(f"PRAGMA max_page_count={int(max_page_count)}")
    rows = conn.execute("PRAGMA quick_check").fetchall()
    if [r[0] for r in rows] != ["ok"]:
        raise sqlite3.DatabaseError("quick_check failed")
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > schema.version:
        raise CacheError(
            f"{path.name} has {schema.name} schema version {version}, newer than this "
            f"software's {schema.version}: update the kiosk software (the file is kept)"
        )
    for step in range(version, schema.version):
        conn.execute("BEGIN IMMEDIATE")
        try:
            schema.migrations[step](conn)
            conn.execute(f"PRAGMA user_version={step + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        log.info("%s: schema upgraded to version %d", path.name, step + 1)


def open_database(
    path: pathlib.Path,
    schema: Schema,
    *,
    synchronous: str = "FULL",
    secure_delete: bool = False,
    max_page_count: int | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Database:
    """Open (or create) ``path`` at ``schema``'s version.

    Args:
        path: The database file; its folder is created (mode 0700) if missing.
        schema: The store's migrations.
        synchronous: ``FULL`` where a commit must survive power loss, ``NORMAL`` for caches.
        secure_delete: Overwrite deleted content (rows that held personal data).
        max_page_count: A size limit in pages (tests use it to simulate a full disk).
        now: Clock for the quarantine file name.

    Returns:
        The open database; ``recovered`` is set if a damaged file was moved aside.

    Raises:
        offline_cache.errors.DiskFull: The schema could not be written.
        offline_cache.errors.CacheError: The file is locked, unreadable, newer than this
            software, or still failing after one quarantine.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    recovered: CacheCorrupt | None = None
    for attempt in (1, 2):
        try:
            conn = _connect(path)
        except sqlite3.Error as exc:
            raise classify(exc, path) from exc
        try:
            _prepare(conn, path, schema, synchronous, secure_delete, max_page_count)
        except CacheError:
            conn.close()
            raise
        except sqlite3.Error as exc:
            conn.close()
            failing = "quick_check" in str(exc) or _primary_code(exc) in _CORRUPT_CODES
            if not failing or attempt == 2:
                raise classify(exc, path) from exc
            detail = getattr(exc, "sqlite_errorname", None) or "SQLITE_CORRUPT (quick_check)"
            target = _quarantine(path, now())
            recovered = CacheCorrupt(path, detail, target)
            log.error("%s", recovered)
            continue
        return Database(conn, path, recovered)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
