"""Composition root of the kiosk UI: Qt application, theme, controller, window."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtWidgets import QApplication

from kiosk import config as kiosk_config
from kiosk.app import composition, sd_notify
from kiosk.app import warmup as warmup_steps
from kiosk.flow import controller as session_controller
from kiosk.flow import runtime
from kiosk.offline import audit, monitor
from kiosk.offline import sender as outbox_sender
from kiosk.staff import mode as staff
from kiosk.staff import pin as staff_pin
from kiosk.voice import speech
from ui import main_window, qt_app, qt_runtime, systemd_link, voice, warmup

log = logging.getLogger(__name__)

# Exit status asking systemd to start the kiosk again (the unit has Restart=on-failure or
# always; 75 is EX_TEMPFAIL, "try again"). docs/staff.md.
RESTART_EXIT_CODE = 75


class KioskApp:
    """Owns the Qt application objects and the session controller.

    Args:
        window: The window ``ui.startup`` opened and showed before the kiosk was built (its
            idle screen painted first); None: one is opened here.
    """

    def __init__(
        self,
        cfg: kiosk_config.KioskConfig,
        kiosk: composition.Kiosk,
        *,
        window: main_window.KioskWindow | None = None,
        speaker: speech.Speaker | None = None,
        notifier: sd_notify.Notifier | None = None,
    ) -> None:
        self.window = window if window is not None else qt_app.open_window(cfg)
        application = QApplication.instance()
        assert isinstance(application, QApplication)  # open_window made it
        self.qt_app = application
        services = kiosk.services
        self.services = services
        self.dispatcher = qt_runtime.QtDispatcher()
        self.clock = qt_runtime.QtClock()
        self.runner = runtime.TaskRunner(self.dispatcher)
        rules = composition.rules(cfg)
        self.controller = session_controller.SessionController(
            services,
            rules=rules,
            dispatcher=self.dispatcher,
            clock=self.clock,
            runner=self.runner,
        )
        self.restart_requested = False
        # The heartbeat's and the metrics' view of the session (docs/staff.md "Monitoring").
        kiosk.health.follow(self.controller)
        self.offline = kiosk.offline
        self.audit_log = audit.OutboxAuditLog(self.offline.outbox, self.offline.sender.wake)
        self.monitor = monitor.PlatformMonitor(
            self.offline,
            self.runner,
            self.clock,
            self.controller.handle,
            trust_anchors=services.trust_anchors,
        )
        self.controller.add_listener(audit.SessionAuditor(self.audit_log))
        # Large-text mode's spoken prompts; a kiosk without a speech engine simply stays quiet.
        if speaker is None:
            speaker = (
                speech.build_speaker(cfg.voice)
                if cfg.elder_mode.voice_prompts
                else speech.NullSpeaker()
            )
        self.speaker = speaker
        self.staff = staff.StaffMode(
            cfg,
            self.controller,
            self.runner,
            self.audit_log,
            guard=staff_pin.PinGuard(
                Path(cfg.paths.data_dir) / staff.PIN_STATE_FILE,
                max_failures=cfg.staff.max_failures,
                lockout_s=cfg.staff.lockout_s,
            ),
            terminal_id=services.terminal_id,
            request_restart=self.request_restart,
            diagnosis=kiosk.diagnosis,
            sync_outbox=self._sync_outbox,
            # "重新检测" looks at the card issuer CAs again, on the net lane like every check.
            refresh_trust_anchors=lambda: services.trust_anchors.refresh(
                services.platform, fall_back=False
            ),
        )
        self.window.attach(
            self.controller,
            self.staff,
            voice_available=not isinstance(self.speaker, speech.NullSpeaker),
        )
        self.window.set_rules(rules)
        # The face check's camera picture, where the kiosk has a camera and a face engine.
        if kiosk.face is not None:
            self.window.set_face_preview(kiosk.face.preview)
        # After the window's own listener: the voice follows what the screen shows.
        self.controller.add_listener(voice.VoicePrompts(self.speaker))
        idle_screen = self.window.idle_screen
        # What the first report and receipt would load while the resident waits loads once
        # the idle screen is up (ui/warmup.py).
        self.warm_up = warmup.WarmUp(idle_screen, warmup_steps.steps_for(services, self.speaker))
        self.monitor.add_listener(idle_screen.show_public)
        # Ready for systemd at the idle screen's first paint; alive while the GUI thread turns.
        self.systemd = systemd_link.SystemdLink(
            notifier if notifier is not None else sd_notify.Notifier({}), idle_screen
        )
        self.controller.add_listener(self.systemd.show_state)
        self.qt_app.aboutToQuit.connect(self.stop)

    def start(self, *, fullscreen: bool = True) -> None:
        """Show the window (if ``ui.startup`` has not) and start watching the card reader."""
        if not self.window.isVisible():
            if fullscreen:
                self.window.showFullScreen()
            else:
                self.window.resize(1920, 1080)
                self.window.show()
        else:
            # Already painted before the kiosk was built: paint the idle screen once more for
            # what waits for its paint (systemd's "ready", the warm-up).
            self.window.idle_screen.update()
        self.offline.start()  # the sender thread; it never touches Qt
        self.monitor.start()
        self.controller.start()

    def _sync_outbox(self, timeout_s: float) -> outbox_sender.RunResult | None:
        """Staff's "sync now": what was just recorded first goes into the outbox."""
        self.audit_log.flush(timeout_s)
        return self.offline.sender.sync_now(timeout_s)

    def request_restart(self) -> None:
        """Leave the event loop with ``RESTART_EXIT_CODE``; systemd starts the kiosk again."""
        log.info("restart requested by staff")
        self.restart_requested = True
        self.qt_app.exit(RESTART_EXIT_CODE)

    def stop(self) -> None:
        """Stop devices and workers (idempotent)."""
        self.window.allow_close = True
        self.systemd.stop()
        self.monitor.stop()
        self.controller.stop()
        self.speaker.close()
        self.audit_log.close()  # what the session's end recorded, before the outbox closes
        self.offline.stop()


def run_event_loop(app: KioskApp) -> int:
    """Run Qt's event loop; SIGTERM (systemd stop) and SIGINT quit it cleanly."""
    return qt_app.run_event_loop(app.window)
