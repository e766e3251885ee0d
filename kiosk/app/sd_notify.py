"""Tell systemd the kiosk is ready, alive and stopping (the ``sd_notify`` datagram protocol).

systemd passes ``NOTIFY_SOCKET`` (a path, or ``@name`` for an abstract socket) and, with
``WatchdogSec=``, ``WATCHDOG_USEC``. The kiosk runs under cage, so systemd's main process is the
compositor: ``WATCHDOG_PID`` names cage, and ``sd_watchdog_enabled(3)`` would say "not for
you". The kiosk therefore reads ``WATCHDOG_USEC`` alone, and the unit says ``NotifyAccess=all``
(docs/deploy.md). Fifteen lines of socket code need no library (ecosystem-notes §1.2).

Who pings matters more than how: ``ui/app.py`` pings from a GUI-thread timer, so a frozen
event loop stops the pings and systemd restarts the kiosk.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import MutableMapping

log = logging.getLogger(__name__)


class Notifier:
    """Sends state lines to systemd; does nothing when the kiosk was not started by systemd.

    The variables are taken out of ``environ``: the helper programs the kiosk starts (the
    speech engine) must not speak to systemd in its name.

    Args:
        environ: The process environment (a copy in tests).
    """

    def __init__(self, environ: MutableMapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.pop("NOTIFY_SOCKET", "")
        watchdog_usec = env.pop("WATCHDOG_USEC", "")
        env.pop("WATCHDOG_PID", None)
        # An abstract socket's name starts with a NUL byte, written "@" in the variable.
        self._address = "\0" + address[1:] if address.startswith("@") else address
        self._socket: socket.socket | None = None
        self._failed = False
        self._stopping = False  # STOPPING=1 is the last line systemd hears
        self.watchdog_interval_s = _ping_interval(watchdog_usec) if self._address else None

    @property
    def enabled(self) -> bool:
        """True when systemd listens."""
        return bool(self._address)

    def ready(self, status: str = "") -> None:
        """Start-up finished: systemd counts the unit as started."""
        self._send("READY=1", *([f"STATUS={status}"] if status else []))

    def alive(self) -> None:
        """One watchdog ping."""
        self._send("WATCHDOG=1")

    def status(self, text: str) -> None:
        """A line ``systemctl status`` shows (never anything personal)."""
        self._send(f"STATUS={text}")

    def stopping(self) -> None:
        """The kiosk is shutting down on purpose: not a watchdog failure. Nothing is sent after
        it (a ping already due on the event loop as the kiosk stops is dropped)."""
        self._send("STOPPING=1")
        self._stopping = True

    def close(self) -> None:
        """Release the socket (idempotent)."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _send(self, *lines: str) -> None:
        if not self._address or self._stopping:
            return
        try:
            if self._socket is None:
                self._socket = socket.socket(
                    socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC
                )
            self._socket.sendto("\n".join(lines).encode(), self._address)
        except OSError as exc:
            # A missed line is not worth stopping for; systemd notices what matters (no pings).
            if not self._failed:
                log.warning("systemd notification not sent: %s", exc)
                self._failed = True
        else:
            self._failed = False


def _ping_interval(watchdog_usec: str) -> float | None:
    """Half the watchdog timeout, as sd_watchdog_enabled(3) advises; None when there is none."""
    try:
        usec = int(watchdog_usec)
    except ValueError:
        return None
    return usec / 2e6 if usec > 0 else None
