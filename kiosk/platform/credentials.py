"""The terminal's platform credentials: a systemd credential, or the OS keyring.

The spec (platform-api.md §1) forbids keeping the terminal secret in a file of the kiosk. Two
places qualify (docs/deploy.md):

- a **systemd credential** (``LoadCredentialEncrypted=credit-kiosk-terminal``): encrypted at
  rest with ``systemd-creds`` (sealed to the TPM where the machine has one), decrypted by
  systemd into ``$CREDENTIALS_DIRECTORY``, a memory-only folder that only the kiosk's service
  can read and that is gone when it stops. Read-only: a new secret is a new credential;
- the **OS keyring** through ``keyring`` with a pinned backend. The store fails closed: the
  ``fail`` backend (no keyring found) and the ``null`` backend (silently drops writes) are
  refused with a clear error instead of losing the secret.

A systemd credential, when the service has one, wins.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
from pathlib import Path
from types import ModuleType

from kiosk import errors

SERVICE_NAME = "credit-kiosk"
# The credential's name in the unit (LoadCredentialEncrypted=) and in $CREDENTIALS_DIRECTORY.
SYSTEMD_CREDENTIAL = "credit-kiosk-terminal"
# One keyring entry holds both values so they are written and read together.
_USERNAME = "terminal"
SECRET_LENGTH = 32

# Backends that cannot keep a secret: "fail" raises on use, "null" drops writes silently.
_REFUSED_BACKENDS = ("keyring.backends.fail.Keyring", "keyring.backends.null.Keyring")


class KeyringUnavailable(errors.NotEnrolled):
    """No usable keyring backend: the terminal cannot hold or read its credentials.

    A ``NotEnrolled`` so the UI shows the "terminal not provisioned" screen; the message names
    the backend for the staff diagnostics page.
    """


@dataclasses.dataclass(frozen=True)
class TerminalCredentials:
    """A terminal's identity at the platform.

    Attributes:
        terminal_id: The id the platform assigned at enrolment.
        secret: The 32 raw HMAC key bytes (not their base64 text); never shown by ``repr``.
    """

    terminal_id: str
    secret: bytes = dataclasses.field(repr=False)

    def __post_init__(self) -> None:
        if not self.terminal_id:
            raise ValueError("terminal_id is empty")
        if len(self.secret) != SECRET_LENGTH:
            raise ValueError(f"terminal secret must be {SECRET_LENGTH} bytes")


def _backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


class CredentialStore:
    """Load, save and clear the terminal credentials through the ``keyring`` API.

    Args:
        service: Keyring service name; tests and diagnostics may use another one.
    """

    def __init__(self, service: str = SERVICE_NAME) -> None:
        self.service = service

    def _keyring(self) -> ModuleType:
        """The keyring library, once its backend is known to keep secrets. Loaded here, not
        with this module: a kiosk whose credentials come from systemd never needs it (and
        `kiosk run` paints its idle screen sooner without it)."""
        import keyring
        import keyring.errors

        name = _backend_name(keyring.get_keyring())
        if name in _REFUSED_BACKENDS:
            raise KeyringUnavailable(
                f"keyring backend {name} cannot keep the terminal secret; pin a real backend "
                "with PYTHON_KEYRING_BACKEND or keyringrc.cfg"
            )
        return keyring

    def load(self) -> TerminalCredentials | None:
        """The credentials systemd handed over, else the keyring's; None when the terminal was
        never enrolled.

        Raises:
            KeyringUnavailable: No usable backend, the keyring is locked, or the entry (or the
                systemd credential) is corrupt: the terminal must then be enrolled again.
        """
        delivered = systemd_credential_path()
        if delivered is not None:
            try:
                return decode(delivered.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                raise KeyringUnavailable(
                    f"systemd credential {SYSTEMD_CREDENTIAL} cannot be read: {type(exc).__name__}"
                ) from None
        keyring = self._keyring()
        try:
            raw = keyring.get_password(self.service, _USERNAME)
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(f"keyring cannot be read: {type(exc).__name__}") from exc
        return None if raw is None else decode(raw)

    def save(self, creds: TerminalCredentials) -> None:
        """Store ``creds``, replacing any earlier ones.

        Raises:
            KeyringUnavailable: No usable backend or the keyring refused the write.
        """
        if systemd_credential_path() is not None:
            raise KeyringUnavailable(
                "this kiosk takes its credentials from systemd: enroll with "
                "`kiosk enroll --code XXXXXXXX --systemd-credential` and encrypt its output "
                "with systemd-creds (docs/deploy.md)"
            )
        keyring = self._keyring()
        try:
            keyring.set_password(self.service, _USERNAME, encode(creds))
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(f"keyring cannot be written: {type(exc).__name__}") from exc

    def clear(self) -> None:
        """Forget the credentials; clearing an empty store is not an error.

        Raises:
            KeyringUnavailable: No usable backend.
        """
        keyring = self._keyring()
        try:
            keyring.delete_password(self.service, _USERNAME)
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(f"keyring cannot be changed: {type(exc).__name__}") from exc


def encode(creds: TerminalCredentials) -> str:
    """The one text form of the credentials, in the keyring and in a systemd credential."""
    secret = base64.b64encode(creds.secret).decode()
    return json.dumps({"terminal_id": creds.terminal_id, "secret": secret})


def decode(raw: str) -> TerminalCredentials:
    """Credentials from ``encode``'s text.

    Raises:
        KeyringUnavailable: The text is not what ``encode`` writes.
    """
    try:
        data = json.loads(raw)
        return TerminalCredentials(
            terminal_id=str(data["terminal_id"]),
            secret=base64.b64decode(data["secret"], validate=True),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        # The message must not echo the entry: it holds the secret.
        raise KeyringUnavailable("stored terminal credentials are corrupt") from None


def systemd_credential_path() -> Path | None:
    """The credential file systemd decrypted for this service, if it gave one."""
    folder = os.environ.get("CREDENTIALS_DIRECTORY")
    if not folder:
        return None
    path = Path(folder) / SYSTEMD_CREDENTIAL
    return path if path.is_file() else None
