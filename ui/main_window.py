"""The kiosk window: a header, one stacked screen per phase, intents wired to the controller."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPalette,
    QResizeEvent,
    QShowEvent,
    QWindow,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.flow import session
from ui import i18n, theme
from ui.i18n import translate
from ui.screens import base, idle
from ui.widgets import still_there

if TYPE_CHECKING:
    from kiosk.flow import controller as session_controller
    from kiosk.staff import mode as kiosk_staff
    from ui.screens import face_check, staff

log = logging.getLogger(__name__)

Phase = session.Phase

_TITLE_NEEDS_WIDTH = 1400  # px: below it, large text leaves the header to its buttons
_TOUCH_EVENTS = {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin}


class TouchWatcher(QObject):
    """Tells ``on_touch`` of every touch (or click) anywhere in the window it watches.

    It watches the window's ``QWindow``, where input arrives before any widget sees it; only
    input and the window's own events pass there, not every event of every widget.
    """

    def __init__(self, on_touch: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._on_touch = on_touch

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Any touch restarts the inactivity timer; nothing is swallowed."""
        if event.type() in _TOUCH_EVENTS:
            self._on_touch()
        return False


# The service keyboard's combination that opens staff mode (the PIN is still asked).
_STAFF_KEY = Qt.Key.Key_S
_STAFF_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


class StaffCorner(QWidget):
    """An invisible patch in the header's top-left corner: a long press there asks for staff.

    Signals:
        long_pressed: held for ``hold_ms`` without letting go.
    """

    long_pressed = Signal()

    def __init__(self, hold_ms: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StaffCorner")
        self.setFixedSize(140, 96)
        self.setAccessibleName("")  # hidden on purpose: not announced to residents
        self.hold = QTimer(self)
        self.hold.setSingleShot(True)
        self.hold.setInterval(hold_ms)
        self.hold.timeout.connect(self.long_pressed)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Start timing the press."""
        self.hold.start()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Let go too early: nothing happens."""
        self.hold.stop()
        event.accept()


class Backdrop(QWidget):
    """The window's background behind every screen, in the theme's colour.

    Filled by Qt from the widget's palette, not from a style sheet (a sheet on the window
    would make every theme change repolish every widget in it: see ``theme.Styler``) nor
    from a Python ``paintEvent`` (called for every repainted region, each waiting for the
    GIL while a worker thread runs).
    """

    def __init__(self) -> None:
        super().__init__()
        self.setAutoFillBackground(True)
        self.set_colour(theme.NORMAL.background)

    def set_colour(self, colour: str) -> None:
        """Fill the background with ``colour`` (``#rrggbb``) from now on."""
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(colour))
        self.setPalette(palette)


class KioskWindow(QMainWindow):
    """Renders the controller's state; the only place screens meet the controller.

    Made in two steps, so that the idle screen paints before the rest of the kiosk loads
    (docs/decisions.md "Start-up: the idle screen first"): the constructor builds the header
    and the idle screen, ``attach`` every other screen, wired to the session controller.
    Touches before ``attach`` do nothing.
    """

    def __init__(self, font_family: str, *, long_press_s: float = 3.0) -> None:
        super().__init__()
        self.setObjectName("KioskWindow")
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self._controller: session_controller.SessionController | None = None
        self._staff: kiosk_staff.StaffMode | None = None
        self._long_press_ms = int(long_press_s * 1000)
        self._voice_available = False  # no engine: no mute switch to show
        self.styler = theme.Styler(font_family, self)
        self._staff_call = 0  # the last call announced with a beep
        self.languages = i18n.Languages()
        self._shown = session.SessionState()
        self.allow_close = False
        self._touches = TouchWatcher(lambda: self._handle(session.UserActive()), self)
        self._watched_window: QWindow | None = None

        self.backdrop = Backdrop()
        column = QVBoxLayout(self.backdrop)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self._build_header())
        # The platform asked the kiosk to wait before a call goes again: "please wait", across
        # the whole width under the header (a portrait header has no room left for it).
        self.busy_banner = base.label("", "BusyBanner")
        self.busy_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.busy_banner.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.busy_banner.hide()
        column.addWidget(self.busy_banner)
        self.stack = QStackedWidget()
        column.addWidget(self.stack, 1)
        self.setCentralWidget(self.backdrop)

        self.idle_screen = idle.IdleScreen()
        self.screens: dict[type[base.Screen], base.Screen] = {idle.IdleScreen: self.idle_screen}
        self._screen_for_phase: dict[Phase, type[base.Screen]] = {Phase.IDLE: idle.IdleScreen}
        self.stack.addWidget(self.idle_screen)
        # Over everything, header included; no layout holds it, so it never sizes the window.
        self.still_there = still_there.StillThereOverlay(self)
        self.still_there.continue_requested.connect(lambda: self._handle(session.UserActive()))
        for part in (self.header, self.busy_banner, self.still_there, self.idle_screen):
            self.styler.add(part)
        self.retranslate()
        self.show_state(self._shown)

    def attach(
        self,
        controller: session_controller.SessionController,
        staff_mode: kiosk_staff.StaffMode | None = None,
        *,
        voice_available: bool = True,
    ) -> None:
        """Add the session's and staff's screens and follow ``controller`` from now on."""
        from ui import session_screens  # after the idle screen's first paint: see the class

        self._controller = controller
        self._staff = staff_mode
        self._voice_available = voice_available
        for screen_type in dict.fromkeys(session_screens.SCREEN_FOR_PHASE.values()):
            if screen_type not in self.screens:
                screen = screen_type()
                self.screens[screen_type] = screen
                self.stack.addWidget(screen)
                self.styler.add(screen)
        self._screen_for_phase = dict(session_screens.SCREEN_FOR_PHASE)
        self.factor_screen = session_screens.factor_screen(self.screens)
        session_screens.wire_intents(self.screens, controller.handle)
        self.staff_screen: staff.StaffScreen = session_screens.wire_staff(self.screens, staff_mode)
        self.retranslate()
        controller.add_listener(self.show_state)
        self.show_state(controller.state)

    def _handle(self, event: session.Event) -> None:
        """What the header and the overlay ask for goes to the controller, once attached."""
        if self._controller is not None:
            self._controller.handle(event)

    def _build_header(self) -> QWidget:
        self.header = header = QWidget()
        header.setObjectName("Header")
        header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(header)
        row.setContentsMargins(24, 12, 24, 12)
        row.setSpacing(12)
        self.title = base.label("", wrap=False)
        # Neither the title nor the banner may widen the window: on a portrait panel they
        # give way to the buttons (a label's text is clipped rather than the window grown).
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row.addWidget(self.title, 1)
        # Takes the title's place while shown, so the header never grows (portrait too).
        self.staff_banner = base.label("", "StaffBanner", wrap=False)
        self.staff_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.staff_banner.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.staff_banner.hide()
        row.addWidget(self.staff_banner, 1)
        handle = self._handle
        self.language_button = self._header_button(
            lambda: handle(session.LanguageChanged(self._other_language()))
        )
        row.addWidget(self.language_button)
        self.mute_button = self._header_button(lambda: handle(session.MuteToggled()))
        row.addWidget(self.mute_button)
        self.call_staff_button = self._header_button(lambda: handle(session.StaffCallRequested()))
        row.addWidget(self.call_staff_button)
        self.elder_button = self._header_button(lambda: handle(session.ElderModeToggled()))
        row.addWidget(self.elder_button)
        self.staff_corner = StaffCorner(self._long_press_ms, header)
        self.staff_corner.move(0, 0)
        self.staff_corner.raise_()
        self.staff_corner.long_pressed.connect(self._request_staff)
        return header

    def _header_button(self, on_click: Callable[[], None]) -> QPushButton:
        button = base.button("")
        button.setObjectName("HeaderButton")
        button.clicked.connect(on_click)
        return button

    def _other_language(self) -> str:
        return "en" if self.languages.current == i18n.DEFAULT_LANGUAGE else i18n.DEFAULT_LANGUAGE

    def retranslate(self) -> None:
        """Every fixed text of the window and its screens in the current language."""
        self.setWindowTitle(translate("KioskWindow", "个人公共信用报告自助查询"))
        self.title.setText(translate("KioskWindow", "信用服务自助终端"))
        self.staff_banner.setText(translate("KioskWindow", "已呼叫工作人员，请稍候"))
        self.staff_banner.setAccessibleName(translate("KioskWindow", "已呼叫工作人员"))
        self.busy_banner.setText(translate("KioskWindow", "信用平台繁忙，正在排队，请稍候"))
        self.busy_banner.setAccessibleName(translate("KioskWindow", "信用平台繁忙，请稍候"))
        # The language button names the other language in that language: whoever needs it
        # can read it.
        self.language_button.setText("English" if self._other_language() == "en" else "中文")
        self.language_button.setAccessibleName(
            "Switch to English" if self._other_language() == "en" else "切换到中文"
        )
        self.call_staff_button.setText(translate("KioskWindow", "呼叫工作人员"))
        self.call_staff_button.setAccessibleName(translate("KioskWindow", "呼叫工作人员"))
        for screen in self.screens.values():
            screen.retranslate()
        self.still_there.retranslate()
        self._elder_texts(bool(self.styler.elder_mode), self._shown.resident.muted)

    def _elder_texts(self, elder_mode: bool, muted: bool) -> None:
        self.elder_button.setText(
            translate("KioskWindow", "标准模式")
            if elder_mode
            else translate("KioskWindow", "大字模式")
        )
        self.elder_button.setAccessibleName(
            translate("KioskWindow", "切换到标准字号")
            if elder_mode
            else translate("KioskWindow", "切换到大字模式，有语音提示")
        )
        self.mute_button.setText(
            translate("KioskWindow", "打开语音") if muted else translate("KioskWindow", "关闭语音")
        )
        self.mute_button.setAccessibleName(self.mute_button.text())

    def set_face_preview(self, source: face_check.PreviewSource | None) -> None:
        """The camera's picture for the face check page: a function giving its latest frame
        (BGR, unmirrored) or None while the camera is off. The page polls it only while it
        shows and the camera is meant to be on."""
        self.factor_screen.set_preview_source(source)

    def set_rules(self, rules: session.Rules) -> None:
        """The rules the controller runs by, for what the screens count down on their own
        (the face check's time limit)."""
        self.factor_screen.set_rules(rules)

    def screen_of(self, screen_type: type[base.Screen]) -> base.Screen:
        """The instance of ``screen_type`` (for tests and the demo's autopilot)."""
        return self.screens[screen_type]

    def current_screen(self) -> base.Screen:
        """The screen showing now."""
        widget = self.stack.currentWidget()
        assert isinstance(widget, base.Screen)
        return widget

    def _request_staff(self) -> None:
        if self._staff is not None:
            self._staff.request()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Ctrl+Alt+S on a service keyboard asks for staff mode; other keys do nothing."""
        if event.key() == _STAFF_KEY and event.modifiers() == _STAFF_MODIFIERS:
            self._request_staff()
            event.accept()
            return
        super().keyPressEvent(event)

    def show_state(self, state: session.SessionState) -> None:
        """Show the screen of ``state.phase``; every screen re-renders so stale data clears."""
        self._shown = state
        if self.languages.switch(state.resident.language):
            self.retranslate()
        showing = self.screens[self._screen_for_phase[state.phase]]
        if state.resident.elder_mode != self.styler.elder_mode:
            self.styler.switch(
                state.resident.elder_mode,
                showing=[self.header, self.busy_banner, self.still_there, showing],
            )
            self.backdrop.set_colour(self.styler.tokens.background)
        # Before the screen fills itself: its new widgets are then polished once, in the
        # current theme.
        self.styler.bring_up_to_date(showing)
        self._elder_texts(state.resident.elder_mode, state.resident.muted)
        resident = state.phase is not Phase.STAFF
        self.language_button.setVisible(resident)
        self.elder_button.setVisible(resident)
        # Voice prompts belong to large-text mode; the switch shows only there.
        self.mute_button.setVisible(
            resident and state.resident.elder_mode and self._voice_available
        )
        for screen in self.screens.values():
            screen.show_state(state)
        self.stack.setCurrentWidget(showing)
        self.still_there.show_state(state)
        self._show_staff_call(state)

    def _show_staff_call(self, state: session.SessionState) -> None:
        """The header's "call staff" button, and the banner (with a beep) once called."""
        # Once called, the banner takes the button's place: pressing again would change nothing.
        self.call_staff_button.setVisible(
            state.phase is not Phase.STAFF and not state.hall.staff_called
        )
        self.staff_banner.setVisible(state.hall.staff_called)
        self.busy_banner.setVisible(state.step.platform_busy)
        self._show_title()
        if state.hall.staff_called and state.hall.staff_call != self._staff_call:
            self._staff_call = state.hall.staff_call
            QApplication.beep()  # the audible half of the signal; silent where no bell exists

    def _show_title(self) -> None:
        """The header's title, unless the staff banner has its place or it would be cut
        short (large text on a portrait panel: the buttons matter more)."""
        state = self._shown
        narrow = state.resident.elder_mode and self.width() < _TITLE_NEEDS_WIDTH
        self.title.setVisible(not state.hall.staff_called and not narrow)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The overlay always covers the whole window."""
        super().resizeEvent(event)
        self.still_there.setGeometry(self.rect())
        self._show_title()

    def showEvent(self, event: QShowEvent) -> None:
        """Watch the window's touches once it has a ``QWindow``."""
        super().showEvent(event)
        handle = self.windowHandle()
        if self._watched_window is not handle:
            handle.installEventFilter(self._touches)
            self._watched_window = handle

    def closeEvent(self, event: QCloseEvent) -> None:
        """A kiosk window does not close from the keyboard or the window manager."""
        if self.allow_close:
            event.accept()
        else:
            log.info("refused a request to close the kiosk window")
            event.ignore()
