"""Public content and report keys through the public cache.

``PublicContent`` serves content and JWKS fresh from the platform when it answers and the kept
copy when it does not; ``PublicInfo`` is what the idle screen shows (nothing personal). Card
issuer CAs are kept by ``kiosk.card.trust_anchors``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable

from kiosk import errors
from kiosk.platform import client as platform_client
from kiosk.platform import models
from offline_cache import public_cache
from offline_cache.errors import CacheError

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class PublicInfo:
    """Public content for the idle screen; nothing personal.

    Attributes:
        service_hours: The hall's opening hours.
        hall: The hall's name.
        announcements: ``(title, body)`` of the notices valid now.
        repair_guides: Titles of the repair guides kept.
        fetched_at: Unix time the copy was last confirmed by the platform.
    """

    service_hours: str
    hall: str
    announcements: tuple[tuple[str, str], ...]
    repair_guides: tuple[str, ...]
    fetched_at: float


class CacheJwksStore:
    """``models.JwksStore`` over the public cache."""

    def __init__(self, cache: public_cache.PublicCache) -> None:
        self._cache = cache

    def load(self) -> bytes | None:
        """The JWKS kept, or None."""
        try:
            entry = self._cache.get(public_cache.JWKS)
        except CacheError as exc:
            log.warning("public cache: JWKS unreadable: %s", exc)
            return None
        return None if entry is None else entry.body

    def save(self, body: bytes) -> None:
        """Keep a fresh JWKS; a storage failure only costs the offline copy."""
        try:
            self._cache.put(public_cache.JWKS, body, None)
        except CacheError as exc:
            log.warning("public cache: JWKS not kept: %s", exc)


class PublicContent:
    """Content and trust anchors through the public cache. Thread-safe (the cache is)."""

    def __init__(
        self, cache: public_cache.PublicCache, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.cache = cache
        self._clock = clock

    def refresh(self, client: platform_client.PlatformClient) -> bool:
        """Revalidate the content with its ETag (a 304 costs nothing); True when it changed.

        Raises:
            kiosk.errors.PlatformError: The platform did not answer or refused.
        """
        etag = None
        try:
            etag = self.cache.etag(public_cache.CONTENT)
        except CacheError as exc:
            log.warning("public cache: unreadable: %s", exc)
        document = client.content_document(etag)
        try:
            if document is None:
                self.cache.revalidated(public_cache.CONTENT)
            else:
                self.cache.put_json(public_cache.CONTENT, document[0], document[1])
        except CacheError as exc:
            log.warning("public cache: content not kept: %s", exc)
        return document is not None

    def content(self) -> tuple[models.Content, float] | None:
        """The kept content and when it was last confirmed, or None."""
        try:
            entry = self.cache.get(public_cache.CONTENT)
            if entry is None:
                return None
            return platform_client.parse_content(entry.json(), entry.etag), entry.fetched_at
        except (CacheError, ValueError, errors.PlatformRejected) as exc:
            log.warning("public cache: kept content unusable: %s", exc)
            return None

    def public_info(self) -> PublicInfo | None:
        """What the idle screen shows from the kept content."""
        kept = self.content()
        if kept is None:
            return None
        content, fetched_at = kept
        now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        notices = tuple(
            (a.title, a.body) for a in content.announcements if a.valid_from <= now <= a.valid_until
        )
        return PublicInfo(
            service_hours=content.service_hours,
            hall=content.hall.name,
            announcements=notices,
            repair_guides=tuple(g.title for g in content.repair_guides),
            fetched_at=fetched_at,
        )

    def repair_guide(self, guide_id: str) -> models.RepairGuide | None:
        """A repair guide from the kept content (for when the platform cannot be reached)."""
        kept = self.content()
        if kept is None:
            return None
        return next((g for g in kept[0].repair_guides if g.guide_id == guide_id), None)
