"""The reachability probe: is the platform there, and what public content to show.

``PlatformMonitor`` probes on the ``net`` lane every ``probe_interval_s`` (a ``GET
/v1/content`` revalidated with its ETag: a 304 when nothing changed); its verdict goes to the
session as ``PlatformStatusChanged`` and the content to the idle screen as ``PublicInfo``. A
busy platform (429, a short 503) is reachable; two failed probes in a row make it offline.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import time
from collections.abc import Callable

from kiosk import errors
from kiosk.card import trust_anchors as trust_anchors_mod
from kiosk.flow import runtime, session
from kiosk.flow.runtime import Lane
from kiosk.offline.public_content import PublicInfo
from kiosk.offline.services import OfflineServices
from offline_cache.errors import CacheError

log = logging.getLogger(__name__)

# Report keys change rarely: refreshed when the platform comes back and then at most this
# often (content is revalidated at every probe; trust anchors: kiosk.card.trust_anchors).
KEYS_REFRESH_S = 3600.0


class ProbeOutcome(enum.Enum):
    """What one probe learnt of the platform."""

    ANSWERED = "answered"  # it served the request: reachable and serving
    BUSY = "busy"  # a 429 or 503 asking for a short wait: reachable, only busy
    FAILED = "failed"  # no answer, a timeout, a 5xx, a long 503 or a refusal


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """One probe: what the platform did, and the public content to show."""

    outcome: ProbeOutcome
    info: PublicInfo | None
    reason: str = ""  # why not answered: an error code or class name, nothing personal
    retry_after_s: float | None = None  # the platform's Retry-After, when it gave one


# A platform that asks for a wait up to this long is busy, not away: residents are served
# (each call waits its Retry-After). A longer 503 is an outage announced in advance.
BUSY_WAIT_MAX_S = 60.0
# Failed probes in a row before the platform counts as offline: one lost answer or one 5xx
# must not turn residents away. After a first failure the next probe comes sooner.
FAILURES_BEFORE_OFFLINE = 2
RECHECK_AFTER_FAILURE_S = 2.0
# Longest Retry-After the probe waits before asking again (a bogus header must not stop it).
MAX_PROBE_WAIT_S = 600.0


def classify_probe_error(exc: errors.PlatformError) -> tuple[ProbeOutcome, str]:
    """A probe's failure: busy (a 429, or a 503 with a short Retry-After) or failed."""
    retry_after = getattr(exc, "retry_after_s", None)
    status = getattr(exc, "status", 0)
    reason = exc.code if isinstance(exc, errors.PlatformRejected) else type(exc).__name__
    short_wait = retry_after is not None and retry_after <= BUSY_WAIT_MAX_S
    if status == 429 or (status == 503 and short_wait):
        return ProbeOutcome.BUSY, reason
    return ProbeOutcome.FAILED, reason


class PlatformMonitor:
    """Probes the platform on the ``net`` lane and tells the session and the idle screen.

    Call ``start``/``stop`` on the core's thread; listeners are called there too. The first
    probe runs at ``start``; each next one ``interval_s`` after the previous answered (sooner
    after a first failure, not before a busy platform's ``Retry-After``), so a hanging
    platform costs one probe at a time (bounded by the probe client's timeouts). The platform
    counts as offline only after ``FAILURES_BEFORE_OFFLINE`` failed probes in a row; a busy
    answer proves it reachable.

    Args:
        offline: The offline services (probe client, public content, report buffer).
        runner: The controller's task runner.
        clock: Schedules the next probe (``QtClock`` in the app, ``ManualClock`` in tests).
        handle: The controller's ``handle``: ``PlatformStatusChanged`` goes there.
        trust_anchors: Card issuer CAs, refreshed with the content (None: not refreshed).
    """

    def __init__(
        self,
        offline: OfflineServices,
        runner: runtime.Runner,
        clock: runtime.Clock,
        handle: Callable[[session.Event], None],
        trust_anchors: trust_anchors_mod.TrustAnchors | None = None,
    ) -> None:
        self._offline = offline
        self._runner = runner
        self._clock = clock
        self._handle = handle
        self._trust_anchors = trust_anchors
        self._timer: runtime.Cancellable | None = None
        self._stopped = False
        self._online: bool | None = None  # unknown until the first probe answers
        self._failures = 0  # failed probes in a row
        self._keys_at: float | None = None  # net lane only: last JWKS refresh
        self.info: PublicInfo | None = None
        self._listeners: list[Callable[[PublicInfo | None], None]] = []

    @property
    def online(self) -> bool | None:
        """The last verdict (None before the first answer or second failure)."""
        return self._online

    def add_listener(self, listener: Callable[[PublicInfo | None], None]) -> None:
        """Call ``listener(info)`` after every probe, on the core's thread."""
        self._listeners.append(listener)

    def start(self) -> None:
        """Show what the cache holds, then probe now and every ``interval_s``."""
        self._stopped = False
        self._runner.submit(Lane.NET, self._offline.public.public_info, self._show, _log_failure)
        self.probe_now()

    def stop(self) -> None:
        """No more probes (one in flight is ignored)."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def probe_now(self) -> None:
        """Probe at once (the next periodic probe follows its answer)."""
        if self._stopped:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._runner.submit(Lane.NET, self.probe, self._on_probed, self._on_failed)

    def probe(self) -> ProbeResult:
        """Net lane: revalidate content; refresh trust anchors and keys when due; expire the
        report buffer."""
        offline = self._offline
        try:
            offline.report_buffer.expire()
        except CacheError as exc:
            log.error("report buffer not expired: %s", exc)
        client = offline.probe_client
        try:
            changed = offline.public.refresh(client)
            if self._trust_anchors is not None:
                self._trust_anchors.refresh_if_due(client, changed)
            now = time.monotonic()
            if self._keys_at is None or now - self._keys_at > KEYS_REFRESH_S:
                client.refresh_jwks()
                self._keys_at = now
        except errors.PlatformError as exc:
            outcome, reason = classify_probe_error(exc)
            if outcome is ProbeOutcome.FAILED:
                self._keys_at = None  # refresh them as soon as the platform is back
            retry_after = getattr(exc, "retry_after_s", None)
            return ProbeResult(outcome, offline.public.public_info(), reason, retry_after)
        return ProbeResult(ProbeOutcome.ANSWERED, offline.public.public_info())

    def _on_probed(self, result: ProbeResult) -> None:
        if self._stopped:
            return
        delay = self._offline.probe_interval_s
        if result.outcome is ProbeOutcome.FAILED:
            self._failures += 1
            if self._failures < FAILURES_BEFORE_OFFLINE:
                log.info("platform probe failed (%s): checking again soon", result.reason)
                delay = min(delay, RECHECK_AFTER_FAILURE_S)
            else:
                self._set_online(False, result.reason)
        else:
            self._failures = 0
            if result.outcome is ProbeOutcome.BUSY:
                wait = result.retry_after_s or 0.0
                log.info("platform busy (%s): next probe in %.0f s", result.reason, wait)
                delay = max(delay, min(wait, MAX_PROBE_WAIT_S))
            self._set_online(True, "")
        self._show(result.info)
        self._schedule(delay)

    def _set_online(self, online: bool, reason: str) -> None:
        if online == self._online:
            return
        if online:
            log.info("platform reachable")
        else:
            log.warning("platform unreachable (%s): personal reports paused", reason)
        self._online = online
        self._handle(session.PlatformStatusChanged(online))

    def _on_failed(self, exc: BaseException) -> None:
        log.error("platform probe failed", exc_info=exc)
        if not self._stopped:
            self._schedule(self._offline.probe_interval_s)

    def _show(self, info: PublicInfo | None) -> None:
        if self._stopped or (info is None and self.info is not None):
            return
        self.info = info
        for listener in list(self._listeners):
            listener(info)

    def _schedule(self, delay: float) -> None:
        self._timer = self._clock.call_later(delay, self.probe_now)


def _log_failure(exc: BaseException) -> None:
    log.warning("public content not read from the cache: %s", exc)
