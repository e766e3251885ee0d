"""offline_cache on real SQLite files: opener, outbox, report buffer, public cache, keys."""

from __future__ import annotations

import base64
import json
import pathlib
import sqlite3
from collections.abc import Iterator

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from offline_cache import db
from offline_cache import keys as cache_keys
from offline_cache.errors import CacheCorrupt, CacheError, DiskFull, KeyUnavailable, OutboxFull
from offline_cache.keys import KeyringKeyProvider, StaticKeyProvider
from offline_cache.outbox import Outbox
from offline_cache.public_cache import CONTENT, JWKS, PublicCache
from offline_cache.report_buffer import FILE_NAME, ReportBuffer
from simulators.memory_keyring import MemoryKeyring

REASON = "这条记录不是我的，我从未在该单位工作"


class Clock:
    """A settable Unix clock."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys() -> StaticKeyProvider:
    return StaticKeyProvider()


@pytest.fixture
def outbox(tmp_path: pathlib.Path, keys: StaticKeyProvider, clock: Clock) -> Iterator[Outbox]:
    with Outbox(tmp_path / "outbox.sqlite3", keys, max_items=5, clock=clock) as box:
        yield box


def _pragma(path: pathlib.Path, name: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


# ---------------------------------------------------------------------- opener


def test_outbox_file_is_wal_at_current_schema(outbox: Outbox) -> None:
    assert _pragma(outbox.path, "journal_mode") == "wal"
    assert _pragma(outbox.path, "user_version") == 1


def test_migrations_run_once_per_step_and_newer_files_are_refused(tmp_path: pathlib.Path) -> None:
    calls: list[int] = []

    def step(n: int) -> db.Migration:
        def migrate(conn: sqlite3.Connection) -> None:
            calls.append(n)
            conn.execute(f"CREATE TABLE t{n} (x)")

        return migrate

    path = tmp_path / "m.sqlite3"
    db.open_database(path, db.Schema("t", (step(0),))).close()
    db.open_database(path, db.Schema("t", (step(0), step(1)))).close()
    db.open_database(path, db.Schema("t", (step(0), step(1)))).close()
    assert calls == [0, 1]
    assert _pragma(path, "user_version") == 2
    with pytest.raises(CacheError, match="newer than this software"):
        db.open_database(path, db.Schema("t", (step(0),)))
    assert path.exists()  # a newer file is kept, not quarantined


def test_a_failing_migration_leaves_the_old_version(tmp_path: pathlib.Path) -> None:
    def ok(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE a (x)")

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE b (x)")
        raise RuntimeError("bug in step 2")

    path = tmp_path / "m.sqlite3"
    with pytest.raises(RuntimeError):
        db.open_database(path, db.Schema("t", (ok, broken)))
    assert _pragma(path, "user_version") == 1


@pytest.mark.expect_log("offline_cache.db")
def test_garbage_file_is_quarantined_once_and_reported(
    tmp_path: pathlib.Path, keys: StaticKeyProvider
) -> None:
    path = tmp_path / "outbox.sqlite3"
    path.write_bytes(b"this is not a database at all" * 200)
    with Outbox(path, keys) as box:
        recovered = box.stats().recovered
        assert isinstance(recovered, CacheCorrupt)
        assert recovered.quarantined_to is not None
        assert recovered.quarantined_to.read_bytes().startswith(b"this is not")
        assert "damaged" in str(recovered)
        box.enqueue("audit", {"a": 1}, "k1")
    # The next start finds a healthy file: no crash loop, nothing quarantined again.
    with Outbox(path, keys) as box:
        assert box.stats().recovered is None
        assert box.size() == 1
    assert len(list(tmp_path.glob("outbox.sqlite3.corrupt-*"))) == 1


@pytest.mark.expect_log("offline_cache.db")
def test_damaged_pages_are_found_at_opening(
    tmp_path: pathlib.Path, keys: StaticKeyProvider
) -> None:
    path = tmp_path / "outbox.sqlite3"
    with Outbox(path, keys, max_items=1000) as box:
        for n in range(200):
            box.enqueue("audit", {"n": n, "pad": "x" * 200}, f"k{n}")
    raw = bytearray(path.read_bytes())
    page = 4096
    assert len(raw) > 4 * page
    raw[2 * page : 3 * page] = b"\xa5" * page  # a b-tree page full of noise
    path.write_bytes(bytes(raw))
    with Outbox(path, keys) as box:
        stats = box.stats()
        assert isinstance(stats.recovered, CacheCorrupt)
        assert stats.size == 0


def test_disk_full_is_typed_and_nothing_unacknowledged_is_kept(
    tmp_path: pathlib.Path, keys: StaticKeyProvider
) -> None:
    path = tmp_path / "outbox.sqlite3"
    acked: list[str] = []
    with Outbox(path, keys, max_items=100_000, max_page_count=12) as box:
        full: DiskFull | None = None
        for n in range(10_000):
            try:
                box.enqueue("audit", {"pad": "x" * 1000}, f"k{n}")
            except DiskFull as exc:
                full = exc
                break
            acked.append(f"k{n}")
        assert full is not None and acked
        assert "disk full" in str(full) and "nothing was saved" in str(full)
        assert box.size() == len(acked)
        # Room again (a delivery freed pages): the outbox works on without reopening.
        first = box.due(limit=5)
        box.delivered([i.id for i in first])
        box.enqueue("audit", {"small": True}, "after")
    with Outbox(path, keys) as box:
        keys_left = [i.idempotency_key for i in box.due(float("inf"), 100_000)]
    assert keys_left == [*acked[5:], "after"]


def test_locked_database_is_a_cache_error_not_corruption(
    tmp_path: pathlib.Path, keys: StaticKeyProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0.05)
    path = tmp_path / "outbox.sqlite3"
    with Outbox(path, keys) as box:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            with pytest.raises(CacheError, match="locked") as info:
                box.enqueue("audit", {}, "k")
            assert not isinstance(info.value, CacheCorrupt)
            other.execute("ROLLBACK")
        finally:
            other.close()
        box.enqueue("audit", {}, "k")
        assert box.size() == 1


# ---------------------------------------------------------------------- outbox


def test_due_is_oldest_first_and_failures_wait(outbox: Outbox, clock: Clock) -> None:
    ids = [outbox.enqueue("print", {"n": n}, f"key-{n}") for n in range(3)]
    due = outbox.due(clock.now, 10)
    assert [i.id for i in due] == ids
    assert [i.payload["n"] for i in due] == [0, 1, 2]
    outbox.failed(ids[0], clock.now + 60, "unavailable")
    assert [i.id for i in outbox.due(clock.now, 10)] == ids[1:]
    assert [i.id for i in outbox.due(clock.now, 1)] == ids[1:2]
    clock.now += 61
    again = outbox.due(clock.now, 10)
    assert [i.id for i in again] == ids
    assert again[0].attempts == 1
    outbox.failed(ids[0], clock.now, "unavailable")
    assert outbox.due(clock.now, 1)[0].attempts == 2


def test_delivered_items_go_and_stats_tell_staff(outbox: Outbox, clock: Clock) -> None:
    empty = outbox.stats()
    assert (empty.size, empty.oldest_age_s, empty.last_delivery_at, empty.full) == (
        0,
        None,
        None,
        False,
    )
    first = outbox.enqueue("audit", {}, "a")
    clock.now += 30
    outbox.enqueue("audit", {}, "b")
    clock.now += 10
    stats = outbox.stats()
    assert (stats.size, stats.oldest_age_s) == (2, 40)
    outbox.delivered([first])
    stats = outbox.stats()
    assert (stats.size, stats.oldest_age_s, stats.last_delivery_at) == (1, 10, clock.now)


def test_full_outbox_refuses_and_says_so(outbox: Outbox) -> None:
    for n in range(5):
        outbox.enqueue("audit", {}, f"k{n}")
    with pytest.raises(OutboxFull) as info:
        outbox.enqueue("audit", {}, "one too many")
    assert info.value.max_items == 5
    stats = outbox.stats()
    assert stats.full and stats.size == 5
    # An already-queued key is not a new item: still accepted.
    assert outbox.enqueue("audit", {}, "k0") == outbox.due(limit=1)[0].id


def test_same_key_is_one_item_and_heartbeats_replace_each_other(outbox: Outbox) -> None:
    assert outbox.enqueue("print", {"x": 1}, "k") == outbox.enqueue("print", {"x": 1}, "k")
    with pytest.raises(ValueError, match="another kind"):
        outbox.enqueue("audit", {}, "k")
    outbox.enqueue("heartbeat", {"v": 1}, "h1", replace_pending=True)
    outbox.enqueue("heartbeat", {"v": 2}, "h2", replace_pending=True)
    kinds = [(i.kind, i.payload) for i in outbox.due(limit=10)]
    assert kinds == [("print", {"x": 1}), ("heartbeat", {"v": 2})]


@pytest.mark.parametrize("key", ["", "x" * 65])
def test_bad_keys_and_payloads_are_refused(outbox: Outbox, key: str) -> None:
    with pytest.raises(ValueError, match="idempotency_key"):
        outbox.enqueue("audit", {}, key)
    with pytest.raises(ValueError, match="larger"):
        outbox.enqueue("audit", {"x": "y" * 70_000}, "ok")
    assert outbox.size() == 0


def test_payloads_are_sealed_at_rest(outbox: Outbox) -> None:
    token = "secret-bearer-token-value"
    outbox.enqueue("objection", {"token": token, "reason": REASON}, "obj-1")
    outbox.close()
    raw = b"".join(p.read_bytes() for p in outbox.path.parent.glob("outbox.sqlite3*"))
    assert token.encode() not in raw
    assert REASON.encode() not in raw
    assert b"obj-1" in raw  # the key is not secret: it is what the platform deduplicates on


@pytest.mark.expect_log("offline_cache.outbox")
def test_rows_sealed_for_another_row_or_key_are_given_up(
    tmp_path: pathlib.Path, keys: StaticKeyProvider
) -> None:
    path = tmp_path / "outbox.sqlite3"
    with Outbox(path, keys) as box:
        a = box.enqueue("print", {"who": "a"}, "ka")
        b = box.enqueue("objection", {"who": "b"}, "kb")
    # Swap the sealed payloads of the two rows: the AAD no longer matches.
    conn = sqlite3.connect(path)
    try:
        rows = {r[0]: r[1:] for r in conn.execute("SELECT id, nonce, payload FROM outbox")}
        for row, other in ((a, b), (b, a)):
            conn.execute(
                "UPDATE outbox SET nonce = ?, payload = ? WHERE id = ?", (*rows[other], row)
            )
        conn.commit()
    finally:
        conn.close()
    with Outbox(path, keys) as box:
        assert box.due(limit=10) == []
        stats = box.stats()
        assert (stats.size, stats.dead) == (0, 2)
    with Outbox(path, StaticKeyProvider()) as box:  # and a wrong key reads nothing either
        box.enqueue("audit", {"x": 1}, "kc")
    with Outbox(path, StaticKeyProvider()) as box:
        assert box.due(limit=10) == []


def test_dead_items_keep_no_payload(outbox: Outbox) -> None:
    row = outbox.enqueue("objection", {"reason": REASON}, "k")
    outbox.dead([row], "token_expired")
    assert outbox.stats().dead == 1
    outbox.close()
    conn = sqlite3.connect(outbox.path)
    try:
        dead = conn.execute("SELECT kind, idempotency_key, reason FROM outbox_dead").fetchall()
    finally:
        conn.close()
    assert dead == [("objection", "k", "token_expired")]


# ---------------------------------------------------------------------- keys


def test_keyring_key_is_created_once(memory_keyring: MemoryKeyring) -> None:
    first = KeyringKeyProvider("offline-outbox-key").key()
    assert len(first) == 32
    assert KeyringKeyProvider("offline-outbox-key").key() == first
    assert KeyringKeyProvider("offline-report-buffer-key").key() != first
    assert ("credit-kiosk", "offline-outbox-key") in memory_keyring.entries
    assert "key hidden" in repr(StaticKeyProvider())


@pytest.mark.parametrize(
    "backend", [keyring.backends.fail.Keyring, keyring.backends.null.Keyring], ids=["fail", "null"]
)
def test_keyrings_that_cannot_keep_a_key_are_refused(backend: type) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend())
    try:
        with pytest.raises(KeyUnavailable, match="cannot keep"):
            KeyringKeyProvider("offline-outbox-key").key()
    finally:
        keyring.set_keyring(previous)


def test_corrupt_keyring_entry_is_refused_without_echoing_it(
    memory_keyring: MemoryKeyring,
) -> None:
    memory_keyring.entries[("credit-kiosk", "offline-outbox-key")] = "c2hvcnQ="
    with pytest.raises(KeyUnavailable) as info:
        KeyringKeyProvider("offline-outbox-key").key()
    assert "c2hvcnQ" not in str(info.value)


# ---------------------------------------------------------------------- report buffer


REPORT = json.dumps({"subject": {"name": "张伟"}, "records": ["行政处罚"]}).encode()


def test_report_buffer_round_trip_and_wipe(
    tmp_path: pathlib.Path, keys: StaticKeyProvider, clock: Clock
) -> None:
    buf = ReportBuffer(tmp_path, keys, ttl_s=600, clock=clock)
    assert buf.get() is None
    buf.put(REPORT)
    assert buf.get() == REPORT
    assert buf.path.stat().st_mode & 0o777 == 0o600
    buf.wipe()
    assert not buf.path.exists()
    assert buf.get() is None
    assert list(tmp_path.iterdir()) == []


def test_report_buffer_file_is_unreadable_without_the_key(
    tmp_path: pathlib.Path, keys: StaticKeyProvider, clock: Clock
) -> None:
    ReportBuffer(tmp_path, keys, clock=clock).put(REPORT)
    raw = (tmp_path / FILE_NAME).read_bytes()
    assert "张伟".encode() not in raw and b"subject" not in raw
    header, nonce, sealed = raw[:12], raw[12:24], raw[24:]
    assert AESGCM(keys.key()).decrypt(nonce, sealed, header) == REPORT
    with pytest.raises(InvalidTag):
        AESGCM(StaticKeyProvider().key()).decrypt(nonce, sealed, header)


@pytest.mark.expect_log("offline_cache.report_buffer")
def test_report_buffer_with_another_key_reads_nothing_and_wipes(
    tmp_path: pathlib.Path, keys: StaticKeyProvider, clock: Clock
) -> None:
    buf = ReportBuffer(tmp_path, keys, clock=clock)
    buf.put(REPORT)
    # The same file read with another key (the keyring entry was replaced).
    buf._keys = StaticKeyProvider()
    assert buf.get() is None
    assert not buf.path.exists()


def test_report_buffer_expires_after_its_ttl(
    tmp_path: pathlib.Path, keys: StaticKeyProvider, clock: Clock
) -> None:
    buf = ReportBuffer(tmp_path, keys, ttl_s=600, clock=clock)
    buf.put(REPORT)
    clock.now += 599
    assert not buf.expire()
    assert buf.get() == REPORT
    clock.now += 2
    assert buf.expire()
    assert not buf.path.exists()
    buf.put(REPORT)
    clock.now += 601
    assert buf.get() is None
    assert not buf.path.exists()


def test_report_buffer_refuses_a_moved_clock_and_a_forged_time(
    tmp_path: pathlib.Path, keys: StaticKeyProvider, clock: Clock
) -> None:
    buf = ReportBuffer(tmp_path, keys, ttl_s=600, clock=clock)
    buf.put(REPORT)
    clock.now -= 3600  # the clock went back an hour: the TTL cannot be trusted
    assert buf.get() is None
    clock.now += 3600
    buf.put(REPORT)
    raw = bytearray(buf.path.read_bytes())
    raw[4:12] = (clock.now + 500).hex().encode()[:8]  # a later stored time, to stretch the TTL
    buf.path.write_bytes(bytes(raw))
    assert buf.get() is None
    assert not buf.path.exists()


def test_report_buffer_is_wiped_at_start_up(
    tmp_path: pathlib.Path, keys: StaticKeyProvider, clock: Clock
) -> None:
    ReportBuffer(tmp_path, keys, clock=clock).put(REPORT)
    (tmp_path / f"{FILE_NAME}.tmp999").write_bytes(b"half written")  # a crash mid-write
    buf = ReportBuffer(tmp_path, keys, clock=clock)  # what a restart does
    assert buf.get() is None
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- public cache


def test_public_cache_keeps_documents_with_etag_across_restarts(
    tmp_path: pathlib.Path, clock: Clock
) -> None:
    path = tmp_path / "public-cache.sqlite3"
    with PublicCache(path, clock=clock) as cache:
        assert cache.get(CONTENT) is None and cache.etag(CONTENT) is None
        cache.put_json(CONTENT, {"service_hours": "周一至周五"}, '"v1"')
        cache.put(JWKS, b'{"keys": []}', None)
        clock.now += 100
        cache.revalidated(CONTENT)
    with PublicCache(path, clock=clock) as cache:
        entry = cache.get(CONTENT)
        assert entry is not None
        assert entry.json() == {"service_hours": "周一至周五"}
        assert (entry.etag, entry.fetched_at) == ('"v1"', clock.now)
        assert cache.etag(CONTENT) == '"v1"'
        jwks = cache.get(JWKS)
        assert jwks is not None and jwks.etag is None
        assert _pragma(path, "journal_mode") == "wal"


@pytest.mark.expect_log("offline_cache.db")
def test_damaged_public_cache_starts_empty(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "public-cache.sqlite3"
    path.write_bytes(b"\0garbage" * 1000)
    with PublicCache(path) as cache:
        assert isinstance(cache.recovered, CacheCorrupt)
        assert cache.get(CONTENT) is None
        cache.put(CONTENT, b"{}", '"x"')


def test_under_the_unit_the_cache_keys_are_systemd_credentials_and_never_the_keyring(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unit pins the keyring to `fail`: the keys come from $CREDENTIALS_DIRECTORY, the
    same at every start; a damaged one is refused without echoing it."""
    key = bytes(range(32))
    held = tmp_path / "credentials"
    held.mkdir()
    (held / "credit-kiosk-offline-outbox-key").write_text(base64.b64encode(key).decode() + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(held))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    provider = cache_keys.key_provider(cache_keys.OUTBOX_KEY_NAME)
    assert isinstance(provider, cache_keys.CredentialKeyProvider)
    assert provider.key() == key
    # A key systemd did not hand over falls back to the keyring (which refuses here).
    fallback = cache_keys.key_provider(cache_keys.REPORT_BUFFER_KEY_NAME)
    assert isinstance(fallback, KeyringKeyProvider)

    (held / "credit-kiosk-offline-outbox-key").write_text("c2hvcnQ=")  # base64, 5 bytes
    with pytest.raises(KeyUnavailable, match="not a 32-byte key"):
        provider.key()
    (held / "credit-kiosk-offline-outbox-key").write_text("not base64 at all!")
    with pytest.raises(KeyUnavailable, match="unusable") as refused:
        provider.key()
    assert "not base64" not in str(refused.value)
