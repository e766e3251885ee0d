"""Card issuer CAs follow the platform: added, withdrawn, kept for offline use (issue 13.4).

The real client over HTTPS against the platform simulator; a manual clock for the intervals.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import errors
from kiosk.card import trust_anchors
from kiosk.platform import client as platform_client
from kiosk.platform.credentials import TerminalCredentials
from offline_cache.public_cache import PublicCache
from simulators.card_factory import IssuerCA, make_issuer_ca
from simulators.platform_server import PlatformSimulator


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client(
    platform_sim: PlatformSimulator, memory_keyring: object
) -> Iterator[platform_client.PlatformClient]:
    with platform_client.PlatformClient(
        platform_sim.base_url, ca_bundle=platform_sim.ca_bundle_path, credentials=None
    ) as enrolling:
        creds: TerminalCredentials = enrolling.enroll(platform_sim.new_enrollment_code(), "t")
    with platform_client.PlatformClient(
        platform_sim.base_url,
        ca_bundle=platform_sim.ca_bundle_path,
        credentials=creds,
        max_attempts=1,
        patience_s=0,
    ) as signed:
        yield signed


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[PublicCache]:
    with PublicCache(tmp_path / "public-cache.sqlite3") as opened:
        yield opened


def test_a_ca_added_after_start_is_fetched_on_unknown_issuer_at_most_once_a_minute(
    platform_sim: PlatformSimulator,
    client: platform_client.PlatformClient,
    cache: PublicCache,
    issuer_ca: IssuerCA,
) -> None:
    clock = Clock()
    anchors = trust_anchors.TrustAnchors(cache, clock=clock)
    assert anchors.current(client) == [issuer_ca.cert_der]
    added = make_issuer_ca()
    platform_sim.set_issuer_cas([issuer_ca.cert_der, added.cert_der])
    assert anchors.current(client) == [issuer_ca.cert_der]  # no fetch per card
    assert anchors.refresh_for_unknown_issuer(client) == [issuer_ca.cert_der, added.cert_der]

    another = make_issuer_ca()
    platform_sim.set_issuer_cas([issuer_ca.cert_der, added.cert_der, another.cert_der])
    clock.now += trust_anchors.UNKNOWN_ISSUER_RETRY_S - 1
    before = len(platform_sim.request_log)
    assert anchors.refresh_for_unknown_issuer(client) is None  # a card a second: no flood
    assert len(platform_sim.request_log) == before
    clock.now += 1
    fresh = anchors.refresh_for_unknown_issuer(client)
    assert fresh is not None and another.cert_der in fresh


def test_a_withdrawn_ca_is_dropped_at_the_next_refresh_and_the_last_good_set_is_kept(
    tmp_path: Path,
    platform_sim: PlatformSimulator,
    client: platform_client.PlatformClient,
    cache: PublicCache,
    issuer_ca: IssuerCA,
    issuer_ca_certs: list[bytes],
) -> None:
    clock = Clock()
    anchors = trust_anchors.TrustAnchors(cache, clock=clock)
    replacement = make_issuer_ca()
    platform_sim.set_issuer_cas([issuer_ca.cert_der, replacement.cert_der])
    anchors.refresh_if_due(client, content_changed=False)
    platform_sim.set_issuer_cas([replacement.cert_der])  # the old CA is withdrawn
    anchors.refresh_if_due(client, content_changed=False)
    assert anchors.current(client) == [issuer_ca.cert_der, replacement.cert_der]  # not due
    clock.now += trust_anchors.REFRESH_S
    anchors.refresh_if_due(client, content_changed=False)
    assert anchors.current(client) == [replacement.cert_der]

    # The platform goes away: a new process uses the kept set; staff are told it is stale.
    platform_sim.stop()
    restarted = trust_anchors.TrustAnchors(cache, clock=clock)
    assert restarted.current(client) == [replacement.cert_der]
    assert restarted.refresh(client) == [replacement.cert_der]
    with pytest.raises(errors.PlatformUnavailable):
        restarted.refresh(client, fall_back=False)
    empty = trust_anchors.TrustAnchors(None, clock=clock)
    with pytest.raises(errors.PlatformUnavailable):
        empty.current(client)


def test_a_content_change_refreshes_the_set_at_once(
    platform_sim: PlatformSimulator,
    client: platform_client.PlatformClient,
    cache: PublicCache,
    issuer_ca: IssuerCA,
) -> None:
    anchors = trust_anchors.TrustAnchors(cache, clock=Clock())
    anchors.refresh_if_due(client, content_changed=False)
    added = make_issuer_ca()
    platform_sim.set_issuer_cas([issuer_ca.cert_der, added.cert_der])
    anchors.refresh_if_due(client, content_changed=True)
    assert anchors.count == 2
