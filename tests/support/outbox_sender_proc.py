"""Test helper process: run the outbox sender against a platform until the outbox is empty.

``python -m tests.support.outbox_sender_proc <db>``; environment: ``OUTBOX_KEY_HEX``,
``PLATFORM_URL``, ``PLATFORM_CA``, ``TERMINAL_ID``, ``TERMINAL_SECRET_B64`` (the parent's
in-memory keyring is not visible here, so the credentials come explicitly). Prints ``DONE``
when nothing is left. The test SIGKILLs it at random points while it sends.
"""

from __future__ import annotations

import base64
import os
import pathlib
import sys
import time

from kiosk.offline.sender import Backoff, OutboxSender
from kiosk.platform.client import PlatformClient
from kiosk.platform.credentials import TerminalCredentials
from offline_cache.keys import StaticKeyProvider
from offline_cache.outbox import Outbox


def main(argv: list[str]) -> int:
    """Drain the outbox at ``argv[0]``."""
    keys = StaticKeyProvider(bytes.fromhex(os.environ["OUTBOX_KEY_HEX"]))
    creds = TerminalCredentials(
        os.environ["TERMINAL_ID"], base64.b64decode(os.environ["TERMINAL_SECRET_B64"])
    )
    client = PlatformClient(
        os.environ["PLATFORM_URL"],
        ca_bundle=os.environ["PLATFORM_CA"],
        credentials=creds,
        max_attempts=1,
    )
    with client, Outbox(pathlib.Path(argv[0]), keys, max_items=100_000) as outbox:
        # Small batches, so a kill lands between platform answers and row deletions often.
        sender = OutboxSender(
            outbox, client, batch_size=5, audit_batch_size=3, backoff=Backoff(0.05, 0.2)
        )
        deadline = time.monotonic() + 60
        while outbox.size() and time.monotonic() < deadline:
            time.sleep(sender.next_wait(sender.run_once()))
        left = outbox.size()
    print("LEFT" if left else "DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
