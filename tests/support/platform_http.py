"""Raw HTTPS to the platform simulator, signed independently of the kiosk's client.

Where a test must send what the client never would (no Idempotency-Key, a body that is not
JSON, a v1.2 call the client may not know yet), it signs the request here with its own
implementation of the spec's HMAC scheme (platform-api.md §1), so a shared misreading of the
scheme by the client and the simulator cannot hide.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import requests

from kiosk.platform.credentials import TerminalCredentials
from simulators.platform_server import PlatformSimulator


def http_session(sim: PlatformSimulator) -> requests.Session:
    """A plain HTTPS session trusting the simulator (environment ignored)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = sim.ca_bundle_path
    return session


def signed(
    sim: PlatformSimulator,
    creds: TerminalCredentials | None,
    method: str,
    target: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    at: float | None = None,
) -> requests.Response:
    """One request signed as spec §1 says (independently of the client), or unsigned.

    Args:
        at: The Unix time to sign with (default now): a test that moves the simulator's
            clock signs with that clock, or the platform refuses the call as clock skew.
    """
    all_headers = dict(headers or {})
    if creds is not None:
        timestamp, nonce = str(int(time.time() if at is None else at)), secrets.token_hex(16)
        message = "\n".join(
            [method, target, timestamp, nonce, hashlib.sha256(body).hexdigest()]
        ).encode()
        all_headers |= {
            "X-Terminal-Id": creds.terminal_id,
            "X-Timestamp": timestamp,
            "X-Nonce": nonce,
            "X-Signature": hmac.new(creds.secret, message, "sha256").hexdigest(),
        }
    with http_session(sim) as session:
        return session.request(
            method, sim.base_url + target, data=body, headers=all_headers, timeout=10
        )
