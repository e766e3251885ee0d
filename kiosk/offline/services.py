"""The offline layer of a running kiosk: outbox and sender, report buffer, public cache.

``offline_cache`` stores; this package puts it to work (docs/decisions.md "Offline cache").
``OfflineServices`` is what the composition root builds from ``[offline]``: the outbox, its
``OutboxSender`` thread (its own platform client, one attempt per call; it never touches Qt),
the report buffer (wiped when built, i.e. at start-up, and at every session end) and the
public cache.
"""

from __future__ import annotations

import dataclasses
import logging

from kiosk.offline import sender as sender_mod
from kiosk.offline.public_content import PublicContent
from kiosk.platform import client as platform_client
from offline_cache.errors import CacheError
from offline_cache.outbox import Outbox, OutboxStats
from offline_cache.report_buffer import ReportBuffer

log = logging.getLogger(__name__)

OUTBOX_FILE = "outbox.sqlite3"
PUBLIC_CACHE_FILE = "public-cache.sqlite3"


@dataclasses.dataclass(eq=False)
class OfflineServices:
    """The offline layer of one kiosk process; ``start``/``stop`` with the app.

    Attributes:
        outbox: Print records, audit events and heartbeats waiting for the platform.
        sender: Delivers the outbox on its own thread.
        sender_client: The sender's platform client (``max_attempts=1``), closed at stop.
        report_buffer: The sealed report buffer (wiped when built and at every session end).
        public: Content, trust anchors and JWKS through the public cache.
        probe_client: The reachability probe's client (short timeouts, ``net`` lane only).
        probe_interval_s: Seconds between probes.
    """

    outbox: Outbox
    sender: sender_mod.OutboxSender
    sender_client: platform_client.PlatformClient
    report_buffer: ReportBuffer
    public: PublicContent
    probe_client: platform_client.PlatformClient
    probe_interval_s: float = 10.0
    _stopped: bool = False

    def start(self) -> None:
        """Start the sender thread (a heartbeat goes first)."""
        self.sender.start()

    def stop(self) -> None:
        """Stop the sender, wipe the report buffer, close the files (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self.sender.stop()
        self.sender_client.close()
        self.probe_client.close()
        try:
            self.report_buffer.wipe()
        except CacheError as exc:
            log.error("report buffer not wiped at stop: %s", exc)
        self.outbox.close()
        self.public.cache.close()

    def stats(self) -> OutboxStats:
        """Backlog size, oldest item age, last delivery.

        Raises:
            offline_cache.errors.CacheError: The outbox cannot be read.
        """
        return self.outbox.stats()
