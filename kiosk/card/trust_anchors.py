"""Card issuer CAs (the trust anchors of the card profile's check 1), following the platform.

The platform adds and withdraws issuer CAs (``GET /v1/trust-anchors``); the kiosk's set follows:

- refreshed by the reachability probe together with the public content: when the content
  changed, and at least every ``REFRESH_S`` (a conditional GET where the platform gives an
  ETag, so an unchanged set costs a 304);
- refreshed when a card is refused as ``unknown_issuer``, at most once per
  ``UNKNOWN_ISSUER_RETRY_S``, before the refusal stands (a CA added since the last refresh);
- refreshed when staff press "重新检测";
- the last good set is kept in the public cache for when the platform cannot be reached.

Every method runs on the ``net`` lane (the platform clients it is given are used there only),
so the set in memory needs no lock.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Callable
from typing import Protocol

from kiosk import errors
from offline_cache import public_cache
from offline_cache.errors import CacheError

log = logging.getLogger(__name__)

REFRESH_S = 300.0
UNKNOWN_ISSUER_RETRY_S = 60.0


class AnchorSource(Protocol):
    """Where the set comes from: ``kiosk.platform.client.PlatformClient`` (one per lane)."""

    def trust_anchors_document(self, etag: str | None) -> tuple[list[bytes], str | None] | None:
        """The CAs (DER) and the answer's ETag; None (a 304) when ``etag`` is current.

        Raises:
            kiosk.errors.PlatformError: The platform refused or could not be reached.
        """
        ...


class TrustAnchors:
    """The card issuer CAs in force, as DER certificates.

    Args:
        cache: Where the last good set is kept (None: memory only, as in some tests).
        clock: Monotonic seconds.
    """

    def __init__(
        self,
        cache: public_cache.PublicCache | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache = cache
        self._clock = clock
        self._anchors: list[bytes] | None = None
        self._etag: str | None = None
        self._refreshed_at: float | None = None  # last answer from the platform
        self._unknown_issuer_at: float | None = None  # last refresh forced by a refused card

    def current(self, client: AnchorSource) -> list[bytes]:
        """The set to check a card against: in memory, else kept, else fetched now.

        Raises:
            kiosk.errors.PlatformError: Nothing is kept and the platform failed.
        """
        if self._anchors is None:
            self._anchors = self._kept()
        if self._anchors is None:
            return self.refresh(client)
        return self._anchors

    def refresh(self, client: AnchorSource, *, fall_back: bool = True) -> list[bytes]:
        """Fetch the set now (a 304 keeps it); the platform unreachable keeps the last good one.

        Args:
            client: A platform client used on the calling (``net``) lane.
            fall_back: False: an unreachable platform raises even when a set is kept (staff
                want to know whether the platform answered).

        Raises:
            kiosk.errors.PlatformRejected: The platform refused (the kept set is unchanged).
            kiosk.errors.PlatformUnavailable: Unreachable and nothing kept (or no fall-back).
        """
        etag = self._etag if self._anchors is not None else None
        try:
            fetched = client.trust_anchors_document(etag)
        except errors.PlatformUnavailable:
            kept = self._anchors if self._anchors is not None else self._kept()
            if kept is None or not fall_back:
                raise
            log.info("platform unreachable: card trust anchors from the kept copy")
            self._anchors = kept
            return kept
        self._refreshed_at = self._clock()
        if fetched is None:  # 304: still current
            assert self._anchors is not None
            return self._anchors
        anchors, new_etag = fetched
        if anchors != self._anchors:
            log.info("card trust anchors: %d issuer CA(s) in force", len(anchors))
        self._anchors, self._etag = anchors, new_etag
        self._keep(anchors)
        return anchors

    def refresh_if_due(self, client: AnchorSource, content_changed: bool) -> None:
        """The probe's refresh: when the content changed or ``REFRESH_S`` passed.

        Raises:
            kiosk.errors.PlatformError: As ``refresh``.
        """
        due = self._refreshed_at is None or self._clock() - self._refreshed_at >= REFRESH_S
        if content_changed or due:
            self.refresh(client)

    def refresh_for_unknown_issuer(self, client: AnchorSource) -> list[bytes] | None:
        """A card's CA is not in the set: a fresh set, or None when one was fetched for this
        reason less than ``UNKNOWN_ISSUER_RETRY_S`` ago or the platform did not answer."""
        now = self._clock()
        if self._unknown_issuer_at is not None and now - self._unknown_issuer_at < (
            UNKNOWN_ISSUER_RETRY_S
        ):
            return None
        self._unknown_issuer_at = now
        try:
            return self.refresh(client)
        except errors.PlatformError as exc:
            log.info("card trust anchors not refreshed after unknown_issuer: %s", exc)
            return None

    @property
    def count(self) -> int | None:
        """How many issuer CAs are in force (None: none loaded yet)."""
        return None if self._anchors is None else len(self._anchors)

    # ------------------------------------------------------------------ the kept copy

    def _keep(self, anchors: list[bytes]) -> None:
        if self._cache is None:
            return
        try:
            body = {"issuer_cas": [base64.b64encode(c).decode() for c in anchors]}
            self._cache.put_json(public_cache.TRUST_ANCHORS, body, self._etag)
        except CacheError as exc:
            log.warning("public cache: trust anchors not kept: %s", exc)

    def _kept(self) -> list[bytes] | None:
        if self._cache is None:
            return None
        try:
            entry = self._cache.get(public_cache.TRUST_ANCHORS)
            if entry is None:
                return None
            anchors = [base64.b64decode(c, validate=True) for c in entry.json()["issuer_cas"]]
        except (CacheError, ValueError, KeyError, TypeError, binascii.Error) as exc:
            log.warning("public cache: kept trust anchors unusable: %s", exc)
            return None
        self._etag = entry.etag
        return anchors
