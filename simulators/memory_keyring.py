"""A keyring backend that lives in memory: for the demo and the tests, never production.

The demo enrolls its terminal at every start and forgets it at exit; tests must never touch
the developer's real keyring.
"""

from __future__ import annotations

import keyring.backend
import keyring.errors


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Credentials vanish with the process."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """The stored value, or None."""
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a value."""
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Forget a value; like real backends, complain when there is none."""
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None
