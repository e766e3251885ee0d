"""Shared by the outbox tests: a resident's token and report on the platform simulator."""

from __future__ import annotations

import dataclasses

from kiosk.platform.client import PlatformClient
from kiosk.platform.credentials import TerminalCredentials
from simulators.platform_server import PlatformSimulator
from simulators.residents import RESIDENTS
from tests.fixtures.platform import Issuer, staff_token

ZHANG = RESIDENTS["zhang_wei"]


@dataclasses.dataclass(frozen=True)
class ResidentReport:
    """What a print record or an objection needs: the bearer token and the report's ids."""

    token: str = dataclasses.field(repr=False)
    report_id: str
    record_id: str


def resident_report(client: PlatformClient, issuer: Issuer) -> ResidentReport:
    """A staff-assisted session for Zhang Wei and his fetched report."""
    token = staff_token(client, issuer.card(ZHANG)).token
    report = client.fetch_report(token)
    record = next(r for s in report.sections for r in s.records)
    return ResidentReport(token, report.report_id, record.record_id)


def sender_client(sim: PlatformSimulator, creds: TerminalCredentials) -> PlatformClient:
    """The sender's own client: one attempt per call, the sender does the backing off."""
    return PlatformClient(
        sim.base_url,
        ca_bundle=sim.ca_bundle_path,
        credentials=creds,
        max_attempts=1,
        sleep=lambda _s: None,
    )
