"""The kiosk window: a header, one stacked screen per phase, intents wired to the controller."""

from __future__ import annotations

import logging
from typing import Final

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import controller as session_controller
from kiosk import session
from ui import theme
from ui.screens import (
    base,
    consent,
    done,
    error,
    idle,
    printing,
    reading,
    report,
    second_factor,
    verifying,
)

log = logging.getLogger(__name__)

Phase = session.Phase

SCREEN_FOR_PHASE: Final[dict[Phase, type[base.Screen]]] = {
    Phase.IDLE: idle.IdleScreen,
    Phase.CONSENT: consent.ConsentScreen,
    Phase.READING_CARD: reading.ReadingScreen,
    Phase.VERIFYING: verifying.VerifyingScreen,
    Phase.SECOND_FACTOR: second_factor.SecondFactorScreen,
    Phase.REPORT: report.ReportScreen,
    Phase.PRINTING: printing.PrintingScreen,
    Phase.DONE: done.DoneScreen,
    Phase.ERROR: error.ErrorScreen,
}

_TOUCH_EVENTS = {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin}


class KioskWindow(QMainWindow):
    """Renders the controller's state; the only place screens meet the controller."""

    def __init__(self, controller: session_controller.SessionController, font_family: str) -> None:
        super().__init__()
        self.setObjectName("KioskWindow")
        self.setWindowTitle("个人公共信用报告自助查询")
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self._controller = controller
        self._font_family = font_family
        self._elder_mode: bool | None = None
        self.allow_close = False

        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self._build_header())
        self.stack = QStackedWidget()
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.screens: dict[type[base.Screen], base.Screen] = {}
        for screen_type in dict.fromkeys(SCREEN_FOR_PHASE.values()):
            screen = screen_type()
            self.screens[screen_type] = screen
            self.stack.addWidget(screen)
        self._wire_intents()
        controller.add_listener(self.show_state)
        self.show_state(controller.state)

    def _build_header(self) -> QWidget:
        header = QWidget()
        header.setObjectName("Header")
        header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(header)
        row.setContentsMargins(48, 12, 48, 12)
        row.addWidget(base.label("信用服务自助终端", wrap=False), 1)
        self.elder_button = base.button("大字模式")
        self.elder_button.setObjectName("HeaderButton")
        self.elder_button.clicked.connect(
            lambda: self._controller.handle(session.ElderModeToggled())
        )
        row.addWidget(self.elder_button)
        return header

    def screen_of(self, screen_type: type[base.Screen]) -> base.Screen:
        """The instance of ``screen_type`` (for tests and the demo's autopilot)."""
        return self.screens[screen_type]

    def current_screen(self) -> base.Screen:
        """The screen showing now."""
        widget = self.stack.currentWidget()
        assert isinstance(widget, base.Screen)
        return widget

    def _wire_intents(self) -> None:
        handle = self._controller.handle
        consent_screen = self.screens[consent.ConsentScreen]
        assert isinstance(consent_screen, consent.ConsentScreen)
        consent_screen.agree_requested.connect(lambda: handle(session.ConsentGiven()))
        consent_screen.decline_requested.connect(lambda: handle(session.ConsentDeclined()))
        factor = self.screens[second_factor.SecondFactorScreen]
        assert isinstance(factor, second_factor.SecondFactorScreen)
        factor.sms_requested.connect(lambda: handle(session.SmsChosen()))
        factor.staff_requested.connect(lambda: handle(session.StaffChosen()))
        factor.code_entered.connect(lambda code: handle(session.OtpEntered(code)))
        factor.staff_confirmed.connect(lambda sid, pin: handle(session.StaffConfirmed(sid, pin)))
        report_screen = self.screens[report.ReportScreen]
        assert isinstance(report_screen, report.ReportScreen)
        report_screen.print_requested.connect(lambda: handle(session.PrintRequested()))
        report_screen.finish_requested.connect(lambda: handle(session.Finished()))
        for screen_type in (done.DoneScreen, error.ErrorScreen):
            screen = self.screens[screen_type]
            assert isinstance(screen, done.DoneScreen | error.ErrorScreen)
            screen.finish_requested.connect(lambda: handle(session.Finished()))

    def show_state(self, state: session.SessionState) -> None:
        """Show the screen of ``state.phase``; every screen re-renders so stale data clears."""
        if state.elder_mode != self._elder_mode:
            self._elder_mode = state.elder_mode
            app = QApplication.instance()
            if isinstance(app, QApplication):
                theme.apply(app, self._font_family, state.elder_mode)
            self.elder_button.setText("标准模式" if state.elder_mode else "大字模式")
        for screen in self.screens.values():
            screen.show_state(state)
        self.stack.setCurrentWidget(self.screens[SCREEN_FOR_PHASE[state.phase]])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Any touch anywhere restarts the inactivity timer."""
        if event.type() in _TOUCH_EVENTS:
            self._controller.handle(session.UserActive())
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        """A kiosk window does not close from the keyboard or the window manager."""
        if self.allow_close:
            event.accept()
        else:
            log.info("refused a request to close the kiosk window")
            event.ignore()
