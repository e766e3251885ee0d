"""SIGKILL at random points while the outbox is written and while it is sent (real processes).

After every kill the outbox is reopened; at the end every acknowledged item is on the platform
simulator exactly once. Items committed but killed before their ``ACK`` line may arrive too
(that is at-least-once from the writer's view); nothing may arrive twice.
"""

from __future__ import annotations

import base64
import collections
import os
import pathlib
import random
import signal
import subprocess
import sys
import time

from kiosk.platform.client import PlatformClient
from offline_cache.keys import StaticKeyProvider
from offline_cache.outbox import Outbox
from simulators.platform_server import PlatformSimulator
from tests.fixtures.platform import Issuer
from tests.support.outbox import resident_report
from tests.support.outbox_writer import printed_at

ROOT = pathlib.Path(__file__).resolve().parents[2]
WRITER_KILLS = 8
SENDER_KILLS = 8


def _spawn(module: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        text=True,
    )


def _kill_writer_after(
    db: pathlib.Path, prefix: str, start: int, acks: int, env: dict[str, str]
) -> list[tuple[str, int]]:
    """Run a writer, SIGKILL it once ``acks`` lines arrived; every ACK it managed to print."""
    acked: list[tuple[str, int]] = []
    with _spawn("tests.support.outbox_writer", [str(db), prefix, str(start), "1000"], env) as proc:
        assert proc.stdout is not None
        while len(acked) < acks:
            line = proc.stdout.readline()
            if not line:
                break
            _, key, seq = line.split()
            acked.append((key, int(seq)))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # Lines already in the pipe were acknowledged too; a torn last line was not.
        for line in proc.stdout.read().splitlines(keepends=True):
            if line.endswith("\n"):
                _, key, seq = line.split()
                acked.append((key, int(seq)))
    assert proc.returncode == -signal.SIGKILL
    return acked


def _run_sender(db: pathlib.Path, env: dict[str, str], kill_after_s: float | None) -> str:
    with _spawn("tests.support.outbox_sender_proc", [str(db)], env) as proc:
        if kill_after_s is None:
            out, _ = proc.communicate(timeout=60)
            return out.strip()
        time.sleep(kill_after_s)
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        return out.strip()


def test_killed_writer_and_sender_lose_nothing_and_deliver_once(
    tmp_path: pathlib.Path,
    platform_sim: PlatformSimulator,
    enrolled_client: PlatformClient,
    issuer: Issuer,
) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    resident = resident_report(enrolled_client, issuer)
    creds = enrolled_client.credentials
    assert creds is not None
    keys = StaticKeyProvider()
    env = {
        "OUTBOX_KEY_HEX": keys.key().hex(),
        "OUTBOX_TOKEN": resident.token,
        "OUTBOX_REPORT_ID": resident.report_id,
        "PLATFORM_URL": platform_sim.base_url,
        "PLATFORM_CA": platform_sim.ca_bundle_path,
        "TERMINAL_ID": creds.terminal_id,
        "TERMINAL_SECRET_B64": base64.b64encode(creds.secret).decode(),
    }
    db = tmp_path / "outbox.sqlite3"

    # 1. Kill the writer at random points; every acknowledged item must be on disk.
    acked: list[tuple[str, int]] = []
    seq = 0
    for run in range(WRITER_KILLS):
        got = _kill_writer_after(db, f"w{run}", seq, rng.randrange(0, 25), env)
        acked += got
        seq += 1000  # a fresh range per run: a killed run's unacknowledged seqs stay unique
        with Outbox(db, keys, max_items=100_000) as box:
            waiting = {i.idempotency_key for i in box.due(float("inf"), 100_000)}
            assert box.stats().recovered is None
        missing = [k for k, _ in acked if k not in waiting]
        assert not missing, f"seed {seed}: acknowledged but lost: {missing}"
    assert len(acked) > WRITER_KILLS  # the test did write something

    # 2. Kill the sender at random points while it sends (the platform answers slowly).
    platform_sim.latency_s = 0.02
    for _ in range(SENDER_KILLS):
        _run_sender(db, env, kill_after_s=rng.uniform(0.4, 0.8))
    platform_sim.latency_s = 0.0
    assert _run_sender(db, env, kill_after_s=None) == "DONE"

    # 3. Exactly once on the platform; replays of what a killed sender had sent are counted.
    events = collections.Counter(e.event_id for e in platform_sim.audit_events)
    prints = collections.Counter(p.printed_at for p in platform_sim.prints)
    assert all(n == 1 for n in events.values()), f"seed {seed}: duplicate audit events"
    assert all(n == 1 for n in prints.values()), f"seed {seed}: duplicate print records"
    for key, n in acked:
        if n % 2 == 0:
            assert events[key] == 1, f"seed {seed}: {key} not delivered"
        else:
            assert prints[printed_at(n).isoformat()] == 1, f"seed {seed}: {key} not delivered"
    print_path = f"/v1/reports/{resident.report_id}/prints"
    replays = sum(1 for e in platform_sim.request_log if e.path == print_path and e.status == 200)
    print(
        f"seed {seed}: {len(acked)} acknowledged, {len(events)} events and {len(prints)} prints "
        f"recorded once each, {replays} print replays answered 200"
    )
