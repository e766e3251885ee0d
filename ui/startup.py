"""How ``kiosk run`` comes up: the idle screen first, the rest of the kiosk right after it.

A resident (or the operator who just switched the terminal on) sees the idle screen as soon as
Qt can paint it: the window opens with its header and idle screen only, loading Qt, the
configuration and the session's states and nothing more. Once that screen has painted,
``complete`` loads and builds everything a session needs (the platform client and its
cryptography, the keyring and the offline storage, the card reader, the printers, the
other screens) and starts the card reader. A card put on the reader meanwhile is seen when the
reader starts: PC/SC and the vendor's library both report a card already present.

This module imports only what the idle screen needs; ``ui.app`` and the composition root load
inside ``complete``. docs/decisions.md "Start-up: the idle screen first" has the figures.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from kiosk import config as kiosk_config
from ui import qt_app

if TYPE_CHECKING:
    from kiosk.platform.credentials import TerminalCredentials
    from ui.app import KioskApp

log = logging.getLogger(__name__)


class Start:
    """One start of the kiosk: the window now, the kiosk behind it after the first paint.

    Attributes:
        window: The kiosk's window, from the start.
        kiosk: The whole kiosk once ``complete`` ran; None before.
        completed_at: When it was ready for a card (``time.monotonic()``); None before.
        failure: What stopped ``complete`` (the event loop then ends with status 1).
    """

    def __init__(self, cfg: kiosk_config.KioskConfig, creds: TerminalCredentials) -> None:
        self.window = qt_app.open_window(cfg)
        self._cfg = cfg
        self._creds = creds
        self.kiosk: KioskApp | None = None
        self.completed_at: float | None = None
        self.failure: Exception | None = None

    def show(self, *, fullscreen: bool = True) -> None:
        """Show the idle screen; the rest follows its first paint."""
        qt_app.after_first_paint(self.window.idle_screen, self.complete)
        if fullscreen:
            self.window.showFullScreen()
        else:
            self.window.resize(1920, 1080)
            self.window.show()

    def complete(self) -> None:
        """Build the kiosk behind the window and start it; a failure ends the event loop."""
        began = time.monotonic()
        try:
            self.kiosk = self._build()
            self.kiosk.start()
            self.completed_at = time.monotonic()
            log.info(
                "ready for a card %.2f s after the idle screen painted", self.completed_at - began
            )
        except Exception as exc:  # noqa: BLE001 - told after the loop ends (run re-raises it)
            log.error("the kiosk could not be built: %s", type(exc).__name__)
            self.failure = exc
            self.window.allow_close = True
            QApplication.exit(1)

    def _build(self) -> KioskApp:
        from kiosk.app import composition, sd_notify  # after the first paint: see the module
        from ui import app

        return app.KioskApp(
            self._cfg,
            composition.build_kiosk(self._cfg, self._creds),
            window=self.window,
            notifier=sd_notify.Notifier(),
        )


def run(cfg: kiosk_config.KioskConfig, creds: TerminalCredentials) -> int:
    """Run the kiosk full screen until the process is told to stop (SIGTERM/SIGINT).

    Raises:
        Exception: Whatever building the kiosk raised (a storage or device error the
            command line reports), after the window closed.
    """
    start = Start(cfg, creds)
    start.show()
    status = qt_app.run_event_loop(start.window)
    if start.failure is not None:
        raise start.failure
    return status
