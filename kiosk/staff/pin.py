"""The staff PIN: a slow scrypt hash kept in the configuration, and lock-out after failures.

The hash is one string so it fits one configuration key and carries its own parameters::

    scrypt$n=16384,r=8,p=1$<salt, base64>$<hash, base64>

``kiosk staff-pin`` makes it. Checking a PIN costs about 16 MB and tens of milliseconds on
purpose (a stolen config file must not give the PIN away quickly): call ``verify_pin`` off the
GUI thread. A PIN is never logged.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from kiosk import errors

log = logging.getLogger(__name__)

DEFAULT_N = 16384
DEFAULT_R = 8
DEFAULT_P = 1
_HASH_BYTES = 32
_SALT_BYTES = 16
_PIN_RE = re.compile(r"^[0-9]{6,12}$")
_FORMAT = re.compile(r"^scrypt\$n=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$")
MIN_PIN_LENGTH = 6
MAX_PIN_LENGTH = 12


class BadPinHash(errors.KioskError):
    """``staff.pin_hash`` is not a string made by ``kiosk staff-pin``."""


@dataclasses.dataclass(frozen=True)
class PinHash:
    """A parsed ``staff.pin_hash``."""

    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    def encode(self) -> str:
        """The one-line form kept in the configuration."""
        salt = base64.b64encode(self.salt).decode()
        digest = base64.b64encode(self.digest).decode()
        return f"scrypt$n={self.n},r={self.r},p={self.p}${salt}${digest}"


def parse_pin_hash(text: str) -> PinHash:
    """Parse the configuration string.

    Raises:
        BadPinHash: The string is not in the ``scrypt$n=..,r=..,p=..$salt$hash`` form.
    """
    match = _FORMAT.match(text.strip())
    if match is None:
        raise BadPinHash("expected scrypt$n=<n>,r=<r>,p=<p>$<salt>$<hash> (run `kiosk staff-pin`)")
    n, r, p = (int(match.group(i)) for i in (1, 2, 3))
    if n < 2 or n & (n - 1) or r < 1 or p < 1:
        raise BadPinHash("scrypt n must be a power of two above 1, r and p at least 1")
    try:
        salt = base64.b64decode(match.group(4), validate=True)
        digest = base64.b64decode(match.group(5), validate=True)
    except (binascii.Error, ValueError):
        raise BadPinHash("salt or hash is not base64") from None
    if len(salt) < 8 or len(digest) < 16:
        raise BadPinHash("salt or hash is too short")
    return PinHash(n, r, p, salt, digest)


def valid_pin(pin: str) -> bool:
    """Whether ``pin`` has the shape of a staff PIN: 6 to 12 ASCII digits."""
    return _PIN_RE.match(pin) is not None


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # maxmem: OpenSSL's default (32 MB) is just enough for n=16384, r=8; allow larger settings.
    return hashlib.scrypt(
        pin.encode(), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * n * r * p + 2**20
    )


def hash_pin(
    pin: str, *, n: int = DEFAULT_N, r: int = DEFAULT_R, p: int = DEFAULT_P, salt: bytes = b""
) -> PinHash:
    """A new hash of ``pin`` with a random salt (or ``salt``, for tests).

    Raises:
        ValueError: ``pin`` is not 6 to 12 digits.
    """
    if not valid_pin(pin):
        raise ValueError(f"a staff PIN is {MIN_PIN_LENGTH} to {MAX_PIN_LENGTH} digits")
    salt = salt or secrets.token_bytes(_SALT_BYTES)
    return PinHash(n, r, p, salt, _scrypt(pin, salt, n, r, p, _HASH_BYTES))


def verify_pin(pin: str, stored: PinHash) -> bool:
    """Whether ``pin`` matches ``stored`` (constant-time compare; slow by design)."""
    if not valid_pin(pin):
        return False
    candidate = _scrypt(pin, stored.salt, stored.n, stored.r, stored.p, len(stored.digest))
    return hmac.compare_digest(candidate, stored.digest)


@dataclasses.dataclass(frozen=True)
class Attempt:
    """The outcome of one PIN attempt."""

    accepted: bool
    locked_for_s: float = 0.0  # > 0: locked now (this attempt was not even checked if it was)
    failures_left: int = 0


class PinGuard:
    """Counts wrong PINs and locks staff mode for a while after too many.

    The count and the lock are kept in a small JSON file in the data directory, so pulling
    the kiosk's plug does not reset them (the plug is often within reach in a hall). Wall-clock
    time is stored; a lock read back is never longer than ``lockout_s`` from now, so a clock
    set back cannot lock staff out for longer.

    Args:
        state_file: Where the count and the lock end are kept; None keeps them in memory.
        max_failures: Wrong PINs in a row that lock.
        lockout_s: How long the lock lasts.
        now: Wall-clock time source (tests pass a fake).
    """

    def __init__(
        self,
        state_file: Path | None,
        *,
        max_failures: int = 5,
        lockout_s: float = 300.0,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._file = state_file
        self._max = max(1, max_failures)
        self._lockout_s = lockout_s
        self._now = now
        self._failures = 0
        self._locked_until = 0.0
        self._load()

    def locked_for_s(self) -> float:
        """Seconds the lock still lasts (0 when not locked)."""
        return max(0.0, self._locked_until - self._now())

    def check(self, pin: str, stored: PinHash | None) -> Attempt:
        """Check ``pin`` unless locked; count a failure or reset the count.

        With no ``stored`` hash (``staff.pin_hash`` empty) every PIN is refused.
        """
        locked = self.locked_for_s()
        if locked > 0:
            return Attempt(False, locked_for_s=locked)
        if stored is not None and verify_pin(pin, stored):
            self._failures, self._locked_until = 0, 0.0
            self._save()
            return Attempt(True)
        self._failures += 1
        if self._failures >= self._max:
            self._failures = 0
            self._locked_until = self._now() + self._lockout_s
            self._save()
            return Attempt(False, locked_for_s=self._lockout_s)
        self._save()
        return Attempt(False, failures_left=self._max - self._failures)

    def _load(self) -> None:
        if self._file is None:
            return
        try:
            data = json.loads(self._file.read_text(encoding="utf-8"))
            failures = int(data["failures"])
            locked_until = float(data["locked_until"])
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError):
            # A damaged file must not open staff mode up: treat it as a fresh lock.
            log.warning("staff PIN state unreadable: locked for %.0f s", self._lockout_s)
            failures, locked_until = 0, self._now() + self._lockout_s
        self._failures = max(0, failures)
        self._locked_until = min(locked_until, self._now() + self._lockout_s)

    def _save(self) -> None:
        if self._file is None:
            return
        data = {"failures": self._failures, "locked_until": self._locked_until}
        tmp = self._file.with_suffix(".tmp")
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data), encoding="utf-8")
            tmp.replace(self._file)  # atomic: a crash leaves the old or the new file
        except OSError as exc:
            log.warning("staff PIN state not saved (%s); the count stays in memory", exc)
