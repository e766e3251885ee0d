"""Test helper process: enqueue items and print each key once ``enqueue`` has returned.

``python -m tests.support.outbox_writer <db> <prefix> <n>``; environment: ``OUTBOX_KEY_HEX`` (the
outbox key: the in-memory keyring does not cross processes), ``OUTBOX_TOKEN`` and
``OUTBOX_REPORT_ID`` (for print records). Even items are audit events (event id = key), odd
ones print records whose ``printed_at`` is ``BASE + seq`` seconds, so the test can match what
the platform recorded. A line ``ACK <key> <seq>`` means committed: the test SIGKILLs this
process at random points and checks that every acknowledged item survives.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import sys

from kiosk.offline.sender import queue_audit_event, queue_print
from kiosk.platform.models import AuditEvent
from offline_cache.keys import StaticKeyProvider
from offline_cache.outbox import Outbox

BASE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def printed_at(seq: int) -> dt.datetime:
    """The print time that identifies item ``seq`` on the platform."""
    return BASE + dt.timedelta(seconds=seq)


def main(argv: list[str]) -> int:
    """Enqueue ``n`` items numbered from ``start``."""
    db, prefix, start, n = pathlib.Path(argv[0]), argv[1], int(argv[2]), int(argv[3])
    keys = StaticKeyProvider(bytes.fromhex(os.environ["OUTBOX_KEY_HEX"]))
    token, report_id = os.environ["OUTBOX_TOKEN"], os.environ["OUTBOX_REPORT_ID"]
    with Outbox(db, keys, max_items=100_000) as outbox:
        for seq in range(start, start + n):
            key = f"{prefix}-{seq}"
            if seq % 2 == 0:
                queue_audit_event(outbox, AuditEvent(key, BASE, "crash_test", {"seq": seq}))
            else:
                queue_print(
                    outbox,
                    token=token,
                    report_id=report_id,
                    printed_at=printed_at(seq),
                    idempotency_key=key,
                )
            sys.stdout.write(f"ACK {key} {seq}\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
