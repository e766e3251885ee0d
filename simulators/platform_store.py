"""SQLite storage of the demo platform (stdlib ``sqlite3``, one file in the data dir, WAL).

Everything the platform must remember across a restart lives here: terminals and one-time
enrolment codes, spent nonces, tickets, sessions and tokens, issued reports, prints,
objections, idempotency keys, share links, audit events and heartbeats, and what v1.2 added:
terminals' declared hardware and approvals, how a session's identity was established, face
attempts and cards reported lost by number. One connection is
shared by the server threads behind a lock; every access happens inside ``transaction()``,
which makes a request's reads and writes one SQLite transaction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

NONCE_WINDOW_S = 600
IDEMPOTENCY_LIFE_S = 24 * 3600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS enrollment_codes (code TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS terminals (
    terminal_id TEXT PRIMARY KEY, secret BLOB NOT NULL, hostname TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS nonces (
    terminal_id TEXT NOT NULL, nonce TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (terminal_id, nonce));
CREATE INDEX IF NOT EXISTS nonces_at ON nonces (at);
CREATE TABLE IF NOT EXISTS tickets (
    ticket TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, challenge BLOB NOT NULL,
    expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, resident_id TEXT NOT NULL,
    expires_at REAL NOT NULL, otp_code TEXT, otp_expires_at REAL NOT NULL DEFAULT 0,
    otp_sent_at REAL, otp_failures INTEGER NOT NULL DEFAULT 0,
    staff_failures INTEGER NOT NULL DEFAULT 0, locked INTEGER NOT NULL DEFAULT 0,
    ended INTEGER NOT NULL DEFAULT 0, report_id TEXT);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, session_id TEXT NOT NULL, terminal_id TEXT NOT NULL,
    expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS reports (
    report_id TEXT PRIMARY KEY, code_key TEXT NOT NULL UNIQUE, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS prints (
    print_id TEXT PRIMARY KEY, report_id TEXT NOT NULL, terminal_id TEXT NOT NULL,
    copies INTEGER NOT NULL, kind TEXT NOT NULL, printed_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS objections (
    objection_id TEXT PRIMARY KEY, report_id TEXT NOT NULL, record_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL, reason TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    terminal_id TEXT NOT NULL, endpoint TEXT NOT NULL, key TEXT NOT NULL,
    fingerprint TEXT NOT NULL, body TEXT NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (terminal_id, endpoint, key));
CREATE TABLE IF NOT EXISTS share_links (
    link_id TEXT PRIMARY KEY, report_id TEXT NOT NULL, expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS audit_events (
    terminal_id TEXT NOT NULL, event_id TEXT NOT NULL, at TEXT, type TEXT, data TEXT,
    received_at REAL NOT NULL, PRIMARY KEY (terminal_id, event_id));
CREATE TABLE IF NOT EXISTS heartbeats (
    terminal_id TEXT PRIMARY KEY, at REAL NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lost_cards (serial TEXT PRIMARY KEY);
-- v1.2. Tables of their own rather than new columns of terminals and sessions: a data dir
-- made by an older simulator gets them from CREATE TABLE IF NOT EXISTS, with no migration.
CREATE TABLE IF NOT EXISTS terminal_hardware (
    terminal_id TEXT PRIMARY KEY, hardware TEXT, approved_sam_ids TEXT,
    face_approved INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS session_identity (
    session_id TEXT PRIMARY KEY, assurance TEXT NOT NULL, photo_sha256 TEXT, sam_id TEXT,
    read_at TEXT, face_policy TEXT, face_rejections INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS face_attempts (
    terminal_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, session_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL, status INTEGER NOT NULL, answer TEXT NOT NULL,
    model TEXT NOT NULL, score REAL NOT NULL, liveness_method TEXT NOT NULL,
    liveness_passed INTEGER NOT NULL, passed INTEGER NOT NULL, consent_notice TEXT NOT NULL,
    consent_at TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (terminal_id, idempotency_key));
CREATE TABLE IF NOT EXISTS lost_card_numbers (
    id_number TEXT NOT NULL, valid_from TEXT NOT NULL, PRIMARY KEY (id_number, valid_from));
"""


@dataclasses.dataclass
class Terminal:
    """An enrolled terminal."""

    terminal_id: str
    secret: bytes = dataclasses.field(repr=False)
    hostname: str
    disabled: bool = False


@dataclasses.dataclass
class HardwareApproval:
    """A terminal's latest declared ``hardware`` and what operators approved (spec §1).

    ``approved_sam_ids`` is the set of security module ids operators approved (None: none);
    ``face_approved`` is their face decision, which counts only while a camera is declared.
    """

    terminal_id: str
    hardware: dict[str, Any] | None = None
    approved_sam_ids: frozenset[str] | None = None
    face_approved: bool = False


@dataclasses.dataclass
class Ticket:
    """A challenge handed to one terminal, spent by any verify attempt."""

    ticket: str
    terminal_id: str
    challenge: bytes
    expires_at: float


@dataclasses.dataclass
class Session:
    """A resident's session after the card verified; ``resident_id`` is the ID number."""

    session_id: str
    terminal_id: str
    resident_id: str = dataclasses.field(repr=False)
    expires_at: float
    otp_code: str | None = dataclasses.field(default=None, repr=False)
    otp_expires_at: float = 0.0
    otp_sent_at: float | None = None
    otp_failures: int = 0
    staff_failures: int = 0
    locked: bool = False
    ended: bool = False
    report_id: str | None = None
    # v1.2: how the identity was established (``active_auth`` or ``security_module``), the
    # SOD's EF.PHOTO hash (hex) of an RID-1 card, the certified reader's SAM and reading time
    # of an attested one, the face policy the session offered (None: no face factor) and the
    # face attempts rejected so far.
    assurance: str = "active_auth"
    photo_sha256: str | None = dataclasses.field(default=None, repr=False)
    sam_id: str | None = None
    read_at: str | None = None
    face_policy: dict[str, Any] | None = dataclasses.field(default=None, repr=False)
    face_rejections: int = 0


@dataclasses.dataclass
class Token:
    """An access token of a session."""

    token: str = dataclasses.field(repr=False)
    session_id: str
    terminal_id: str
    expires_at: float


@dataclasses.dataclass(frozen=True)
class PrintRecord:
    """A recorded print."""

    print_id: str
    report_id: str
    terminal_id: str
    copies: int
    kind: str
    printed_at: str
    recorded_at: str


@dataclasses.dataclass(frozen=True)
class Objection:
    """A resident's objection to one record of their report."""

    objection_id: str
    report_id: str
    record_id: str
    terminal_id: str
    reason: str = dataclasses.field(repr=False)
    received_at: str


@dataclasses.dataclass(frozen=True)
class FaceAttempt:
    """One face attempt that reached the verdict (spec §3b): no image, only the outcome."""

    session_id: str
    terminal_id: str
    model: str
    score: float
    liveness_method: str
    liveness_passed: bool
    passed: bool
    consent_notice: str
    consent_at: str


@dataclasses.dataclass(frozen=True)
class AuditEvent:
    """An audit event as a terminal sent it."""

    terminal_id: str
    event_id: str
    at: str | None
    type: str | None
    data: Any


class SqliteStore:
    """The platform's state in one SQLite file.

    Args:
        path: The database file; created with its tables on first use.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._depth = 0
        self._db: sqlite3.Connection | None = None

    # ------------------------------------------------------------------ connection

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: transactions are begun and ended explicitly below, so one
        # request is exactly one transaction. check_same_thread=False: the lock serialises.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        return db

    def close(self) -> None:
        """Close the connection; the next transaction opens it again."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    @contextlib.contextmanager
    def transaction(self, *, commit_on: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
        """One serialised SQLite transaction (nested calls join the outer one).

        Args:
            commit_on: Exceptions that still commit what was written before them (a
                refusal that must remember a spent nonce); any other exception rolls back.
        """
        with self._lock:
            if self._db is None:
                self._db = self._connect()
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except commit_on:
                self._db.execute("COMMIT")
                raise
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def _sql(self, query: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        if self._db is None or not self._depth:
            raise RuntimeError("store used outside transaction()")
        return self._db.execute(query, args)

    def _one(self, query: str, args: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._sql(query, args).fetchone()
        return row

    # ------------------------------------------------------------------ terminals

    def add_enrollment_code(self, code: str) -> None:
        """Make ``code`` (normalised upper case) usable once."""
        self._sql("INSERT OR IGNORE INTO enrollment_codes VALUES (?)", (code,))

    def take_enrollment_code(self, code: str) -> bool:
        """Spend ``code``; False if it is unknown or already used."""
        return self._sql("DELETE FROM enrollment_codes WHERE code = ?", (code,)).rowcount == 1

    def add_terminal(self, terminal: Terminal) -> None:
        """Store a newly enrolled terminal."""
        self._sql(
            "INSERT INTO terminals VALUES (?, ?, ?, ?)",
            (terminal.terminal_id, terminal.secret, terminal.hostname, int(terminal.disabled)),
        )

    def terminal(self, terminal_id: str) -> Terminal | None:
        """The terminal with this id, if enrolled."""
        row = self._one("SELECT * FROM terminals WHERE terminal_id = ?", (terminal_id,))
        return None if row is None else Terminal(row[0], bytes(row[1]), row[2], bool(row[3]))

    def set_terminal_disabled(self, terminal_id: str, disabled: bool) -> None:
        """Disable or re-enable a terminal."""
        self._sql(
            "UPDATE terminals SET disabled = ? WHERE terminal_id = ?", (int(disabled), terminal_id)
        )

    def hardware_approval(self, terminal_id: str) -> HardwareApproval:
        """A terminal's declared hardware and approvals (nothing declared or approved yet)."""
        row = self._one(
            "SELECT hardware, approved_sam_ids, face_approved FROM terminal_hardware "
            "WHERE terminal_id = ?",
            (terminal_id,),
        )
        if row is None:
            return HardwareApproval(terminal_id)
        return HardwareApproval(
            terminal_id,
            None if row[0] is None else dict(json.loads(row[0])),
            None if row[1] is None else frozenset(json.loads(row[1])),
            bool(row[2]),
        )

    def put_hardware_approval(self, record: HardwareApproval) -> None:
        """Insert or update a terminal's declared hardware and approvals."""
        sam_ids = record.approved_sam_ids
        self._sql(
            "INSERT OR REPLACE INTO terminal_hardware VALUES (?, ?, ?, ?)",
            (
                record.terminal_id,
                None if record.hardware is None else json.dumps(record.hardware),
                None if sam_ids is None else json.dumps(sorted(sam_ids)),
                int(record.face_approved),
            ),
        )

    def spend_nonce(self, terminal_id: str, nonce: str, now: float) -> bool:
        """Record ``nonce``; False if the terminal used it in the last 10 minutes."""
        self._sql("DELETE FROM nonces WHERE at < ?", (now - NONCE_WINDOW_S,))
        cursor = self._sql(
            "INSERT OR IGNORE INTO nonces VALUES (?, ?, ?)", (terminal_id, nonce, now)
        )
        return cursor.rowcount == 1

    def record_heartbeat(self, terminal_id: str, at: float, body: Any) -> None:
        """Keep a terminal's latest heartbeat."""
        self._sql(
            "INSERT OR REPLACE INTO heartbeats VALUES (?, ?, ?)",
            (terminal_id, at, json.dumps(body, ensure_ascii=False)),
        )

    def heartbeat(self, terminal_id: str) -> Any:
        """A terminal's latest heartbeat body, or None."""
        row = self._one("SELECT body FROM heartbeats WHERE terminal_id = ?", (terminal_id,))
        return None if row is None else json.loads(row[0])

    # ------------------------------------------------------------------ identity

    def add_ticket(self, ticket: Ticket) -> None:
        """Store a challenge ticket."""
        self._sql(
            "INSERT INTO tickets VALUES (?, ?, ?, ?)",
            (ticket.ticket, ticket.terminal_id, ticket.challenge, ticket.expires_at),
        )

    def pop_ticket(self, ticket_id: str) -> Ticket | None:
        """Remove and return a ticket: any verify attempt spends it."""
        row = self._one("SELECT * FROM tickets WHERE ticket = ?", (ticket_id,))
        if row is None:
            return None
        self._sql("DELETE FROM tickets WHERE ticket = ?", (ticket_id,))
        return Ticket(row[0], row[1], bytes(row[2]), row[3])

    def mark_card_lost(self, serial: int) -> None:
        """Mark the card certificate with this serial as reported lost."""
        self._sql("INSERT OR IGNORE INTO lost_cards VALUES (?)", (str(serial),))

    def card_lost(self, serial: int) -> bool:
        """Whether the card certificate with this serial was reported lost."""
        return self._one("SELECT 1 FROM lost_cards WHERE serial = ?", (str(serial),)) is not None

    def mark_number_lost(self, id_number: str, valid_from: str) -> None:
        """Mark the card with this ID number and valid-from date as reported lost."""
        self._sql("INSERT OR IGNORE INTO lost_card_numbers VALUES (?, ?)", (id_number, valid_from))

    def number_lost(self, id_number: str, valid_from: str | None) -> bool:
        """Whether that card was reported lost; ``valid_from`` None: any card of the number."""
        if valid_from is None:
            row = self._one("SELECT 1 FROM lost_card_numbers WHERE id_number = ?", (id_number,))
        else:
            row = self._one(
                "SELECT 1 FROM lost_card_numbers WHERE id_number = ? AND valid_from = ?",
                (id_number, valid_from),
            )
        return row is not None

    _SESSION_COLUMNS = (
        "session_id, terminal_id, resident_id, expires_at, otp_code, otp_expires_at, "
        "otp_sent_at, otp_failures, staff_failures, locked, ended, report_id"
    )

    def put_session(self, session: Session) -> None:
        """Insert or update a session."""
        self._sql(
            f"INSERT OR REPLACE INTO sessions ({self._SESSION_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session.session_id,
                session.terminal_id,
                session.resident_id,
                session.expires_at,
                session.otp_code,
                session.otp_expires_at,
                session.otp_sent_at,
                session.otp_failures,
                session.staff_failures,
                int(session.locked),
                int(session.ended),
                session.report_id,
            ),
        )
        self._sql(
            "INSERT OR REPLACE INTO session_identity VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                session.session_id,
                session.assurance,
                session.photo_sha256,
                session.sam_id,
                session.read_at,
                None if session.face_policy is None else json.dumps(session.face_policy),
                session.face_rejections,
            ),
        )

    def session(self, session_id: str) -> Session | None:
        """The session with this id, ended ones included."""
        row = self._one(
            f"SELECT {self._SESSION_COLUMNS} FROM sessions WHERE session_id = ?", (session_id,)
        )
        if row is None:
            return None
        values = list(row)
        values[9], values[10] = bool(values[9]), bool(values[10])
        session = Session(*values)
        identity = self._one(
            "SELECT assurance, photo_sha256, sam_id, read_at, face_policy, face_rejections "
            "FROM session_identity WHERE session_id = ?",
            (session_id,),
        )
        if identity is not None:  # absent for a session an older simulator stored
            session.assurance, session.photo_sha256, session.sam_id = identity[:3]
            session.read_at = identity[3]
            session.face_policy = None if identity[4] is None else dict(json.loads(identity[4]))
            session.face_rejections = identity[5]
        return session

    def add_face_attempt(
        self,
        attempt: FaceAttempt,
        idempotency_key: str,
        fingerprint: str,
        answer: tuple[int, dict[str, Any]],
        now: float,
    ) -> None:
        """Record an attempt and the answer given, which its Idempotency-Key replays."""
        self._sql(
            "INSERT INTO face_attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                attempt.terminal_id,
                idempotency_key,
                attempt.session_id,
                fingerprint,
                answer[0],
                json.dumps(answer[1], ensure_ascii=False),
                attempt.model,
                attempt.score,
                attempt.liveness_method,
                int(attempt.liveness_passed),
                int(attempt.passed),
                attempt.consent_notice,
                attempt.consent_at,
                now,
            ),
        )

    def face_answer(
        self, terminal_id: str, idempotency_key: str
    ) -> tuple[str, int, dict[str, Any]] | None:
        """(fingerprint, status, body) of the face attempt sent with this key, if any."""
        row = self._one(
            "SELECT fingerprint, status, answer FROM face_attempts "
            "WHERE terminal_id = ? AND idempotency_key = ?",
            (terminal_id, idempotency_key),
        )
        return None if row is None else (row[0], row[1], dict(json.loads(row[2])))

    def face_attempts(self) -> list[FaceAttempt]:
        """Every face attempt that reached the verdict, in the order received."""
        rows = self._sql(
            "SELECT session_id, terminal_id, model, score, liveness_method, liveness_passed, "
            "passed, consent_notice, consent_at FROM face_attempts ORDER BY rowid"
        ).fetchall()
        return [
            FaceAttempt(r[0], r[1], r[2], r[3], r[4], bool(r[5]), bool(r[6]), r[7], r[8])
            for r in rows
        ]

    def put_token(self, token: Token) -> None:
        """Insert or update an access token."""
        self._sql(
            "INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?)",
            (token.token, token.session_id, token.terminal_id, token.expires_at),
        )

    def token(self, token: str) -> Token | None:
        """The access token, if it exists."""
        row = self._one("SELECT * FROM tokens WHERE token = ?", (token,))
        return None if row is None else Token(*row)

    def delete_tokens(self, session_id: str) -> None:
        """Drop every token of a session."""
        self._sql("DELETE FROM tokens WHERE session_id = ?", (session_id,))

    # ------------------------------------------------------------------ reports

    def next_report_seq(self) -> int:
        """The next report serial number (kept across restarts)."""
        row = self._one("SELECT value FROM meta WHERE name = 'report_seq'")
        seq = (int(row[0]) if row else 0) + 1
        self._sql("INSERT OR REPLACE INTO meta VALUES ('report_seq', ?)", (str(seq),))
        return seq

    def add_report(self, report_id: str, code_key: str, payload: dict[str, Any]) -> None:
        """Keep an issued report's payload under its id and normalised verification code."""
        self._sql(
            "INSERT INTO reports VALUES (?, ?, ?)",
            (report_id, code_key, json.dumps(payload, ensure_ascii=False)),
        )

    def code_taken(self, code_key: str) -> bool:
        """Whether a verification code (normalised) is already used."""
        return self._one("SELECT 1 FROM reports WHERE code_key = ?", (code_key,)) is not None

    def report(self, report_id: str) -> dict[str, Any] | None:
        """An issued report's payload."""
        row = self._one("SELECT payload FROM reports WHERE report_id = ?", (report_id,))
        return None if row is None else dict(json.loads(row[0]))

    def report_by_code(self, code_key: str) -> dict[str, Any] | None:
        """An issued report's payload by normalised verification code."""
        row = self._one("SELECT payload FROM reports WHERE code_key = ?", (code_key,))
        return None if row is None else dict(json.loads(row[0]))

    # ------------------------------------------------------------------ after the report

    def add_print(self, record: PrintRecord) -> None:
        """Store a print record."""
        seq = self._one("SELECT COUNT(*) FROM prints")
        self._sql(
            "INSERT INTO prints VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*dataclasses.astuple(record), seq[0] if seq else 0),
        )

    def prints(self) -> list[PrintRecord]:
        """Print records, in the order recorded."""
        rows = self._sql(
            "SELECT print_id, report_id, terminal_id, copies, kind, printed_at, recorded_at "
            "FROM prints ORDER BY seq"
        ).fetchall()
        return [PrintRecord(*row) for row in rows]

    def add_objection(self, objection: Objection) -> None:
        """Store an objection."""
        self._sql(
            "INSERT INTO objections VALUES (?, ?, ?, ?, ?, ?)", dataclasses.astuple(objection)
        )

    def objections(self) -> list[Objection]:
        """Objections, in the order received."""
        rows = self._sql("SELECT * FROM objections ORDER BY rowid").fetchall()
        return [Objection(*row) for row in rows]

    def idempotent_reply(
        self, terminal_id: str, endpoint: str, key: str, now: float
    ) -> tuple[str, dict[str, Any]] | None:
        """(fingerprint, body) stored for this key in the last 24 h, if any."""
        self._sql("DELETE FROM idempotency WHERE created_at < ?", (now - IDEMPOTENCY_LIFE_S,))
        row = self._one(
            "SELECT fingerprint, body FROM idempotency "
            "WHERE terminal_id = ? AND endpoint = ? AND key = ?",
            (terminal_id, endpoint, key),
        )
        return None if row is None else (row[0], dict(json.loads(row[1])))

    def keep_idempotent_reply(
        self,
        terminal_id: str,
        endpoint: str,
        key: str,
        fingerprint: str,
        body: dict[str, Any],
        now: float,
    ) -> None:
        """Remember the answer given for this key."""
        self._sql(
            "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
            (terminal_id, endpoint, key, fingerprint, json.dumps(body, ensure_ascii=False), now),
        )

    def add_share_link(self, link_id: str, report_id: str, expires_at: float) -> None:
        """Store a one-time download link."""
        self._sql("INSERT INTO share_links VALUES (?, ?, ?, 0)", (link_id, report_id, expires_at))

    def take_share_link(self, link_id: str, now: float) -> str | None:
        """Spend a link; its report id, or None if unknown, used or expired."""
        row = self._one(
            "SELECT report_id, expires_at, used FROM share_links WHERE link_id = ?", (link_id,)
        )
        if row is None or row[2] or now > row[1]:
            return None
        self._sql("UPDATE share_links SET used = 1 WHERE link_id = ?", (link_id,))
        return str(row[0])

    def share_link_known(self, link_id: str) -> bool:
        """Whether the link was ever issued."""
        return self._one("SELECT 1 FROM share_links WHERE link_id = ?", (link_id,)) is not None

    def add_audit_event(self, event: AuditEvent, now: float) -> bool:
        """Store an event; False if this terminal sent its id before."""
        cursor = self._sql(
            "INSERT OR IGNORE INTO audit_events VALUES (?, ?, ?, ?, ?, ?)",
            (
                event.terminal_id,
                event.event_id,
                event.at,
                event.type,
                json.dumps(event.data, ensure_ascii=False),
                now,
            ),
        )
        return cursor.rowcount == 1

    def audit_events(self) -> list[AuditEvent]:
        """Every stored audit event, in the order received."""
        rows = self._sql(
            "SELECT terminal_id, event_id, at, type, data FROM audit_events ORDER BY rowid"
        ).fetchall()
        return [AuditEvent(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]
