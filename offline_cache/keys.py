"""Where the cache's AES-256 keys come from: a systemd credential or the OS keyring in
production, memory in tests.

Under the kiosk's systemd unit (docs/deploy.md) each key is an encrypted credential made once
at install (``deploy/install.sh``: 32 random bytes, base64, through ``systemd-creds
encrypt``), which systemd decrypts into ``$CREDENTIALS_DIRECTORY`` at each start; the keyring
is not used there at all. Elsewhere the key is created in the keyring at first use.

A key never goes in a configuration file or a log line. The keyring provider refuses the
``fail`` backend (no keyring found) and the ``null`` backend (drops writes silently, so a new
key would be lost with the process and every encrypted row with it).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import threading
from pathlib import Path
from typing import Protocol

import keyring
import keyring.errors

from offline_cache.errors import KeyUnavailable

KEY_LENGTH = 32
SERVICE_NAME = "credit-kiosk"
OUTBOX_KEY_NAME = "offline-outbox-key"
REPORT_BUFFER_KEY_NAME = "offline-report-buffer-key"

# A key's systemd credential is named "credit-kiosk-<key name>".
CREDENTIAL_PREFIX = "credit-kiosk-"
_REFUSED_BACKENDS = ("keyring.backends.fail.Keyring", "keyring.backends.null.Keyring")


class KeyProvider(Protocol):
    """Gives the 32-byte AES-GCM key of one purpose (outbox, report buffer)."""

    def key(self) -> bytes:
        """The key; the same bytes every call for the life of the data it protects.

        Raises:
            offline_cache.errors.KeyUnavailable: The key cannot be read or created.
        """
        ...


class StaticKeyProvider:
    """A key held in memory: tests, and test helper processes that get it from their parent.

    Args:
        key: 32 bytes; None draws a random one.
    """

    def __init__(self, key: bytes | None = None) -> None:
        key = secrets.token_bytes(KEY_LENGTH) if key is None else key
        if len(key) != KEY_LENGTH:
            raise ValueError(f"key must be {KEY_LENGTH} bytes")
        self._key = key

    def __repr__(self) -> str:
        return "StaticKeyProvider(<key hidden>)"

    def key(self) -> bytes:
        """The key given at construction."""
        return self._key


class KeyringKeyProvider:
    """A random key kept in the OS keyring, created on first use.

    Args:
        name: Keyring user name of this key (one per purpose, so wiping one never touches
            the other).
        service: Keyring service name; the terminal credentials share it.
    """

    def __init__(self, name: str, service: str = SERVICE_NAME) -> None:
        self.name = name
        self.service = service
        self._cached: bytes | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KeyringKeyProvider({self.service!r}, {self.name!r})"

    def _check_backend(self) -> None:
        backend = keyring.get_keyring()
        cls = type(backend)
        name = f"{cls.__module__}.{cls.__qualname__}"
        if name in _REFUSED_BACKENDS:
            raise KeyUnavailable(
                f"keyring backend {name} cannot keep the offline cache key; pin a real backend "
                "with PYTHON_KEYRING_BACKEND or keyringrc.cfg"
            )

    def key(self) -> bytes:
        """The stored key, or a new random one stored first.

        Raises:
            offline_cache.errors.KeyUnavailable: Refused backend, keyring locked or
                unwritable, or the stored entry is not a 32-byte key.
        """
        with self._lock:
            if self._cached is not None:
                return self._cached
            self._check_backend()
            try:
                raw = keyring.get_password(self.service, self.name)
                if raw is None:
                    new = secrets.token_bytes(KEY_LENGTH)
                    keyring.set_password(self.service, self.name, base64.b64encode(new).decode())
                    # Read back: a backend that drops writes must not hand out a key that
                    # nothing will be able to decrypt with after a restart.
                    raw = keyring.get_password(self.service, self.name)
                    if raw is None:
                        raise KeyUnavailable("keyring did not keep the offline cache key")
            except keyring.errors.KeyringError as exc:
                raise KeyUnavailable(f"keyring cannot be used: {type(exc).__name__}") from exc
            try:
                key = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                key = b""
            if len(key) != KEY_LENGTH:
                # The message must not echo the entry.
                raise KeyUnavailable(f"keyring entry {self.name} is not a {KEY_LENGTH}-byte key")
            self._cached = key
            return key


class CredentialKeyProvider:
    """A key systemd hands the service as a credential: read-only, the same at every start.

    Args:
        path: The decrypted credential (``$CREDENTIALS_DIRECTORY/credit-kiosk-<name>``):
            the key in base64.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"CredentialKeyProvider({self.path.name!r})"

    def key(self) -> bytes:
        """The key in the credential.

        Raises:
            offline_cache.errors.KeyUnavailable: The credential cannot be read or is not a
                32-byte key in base64.
        """
        try:
            raw = self.path.read_text(encoding="ascii").strip()
            key = base64.b64decode(raw, validate=True)
        except (OSError, UnicodeDecodeError, binascii.Error, ValueError) as exc:
            raise KeyUnavailable(
                f"systemd credential {self.path.name} unusable: {type(exc).__name__}"
            ) from None
        if len(key) != KEY_LENGTH:
            raise KeyUnavailable(f"systemd credential {self.path.name} is not a 32-byte key")
        return key


def key_provider(name: str) -> KeyProvider:
    """The provider of key ``name``: its systemd credential when the service has one, else
    the keyring."""
    folder = os.environ.get("CREDENTIALS_DIRECTORY")
    if folder:
        path = Path(folder) / f"{CREDENTIAL_PREFIX}{name}"
        if path.is_file():
            return CredentialKeyProvider(path)
    return KeyringKeyProvider(name)
