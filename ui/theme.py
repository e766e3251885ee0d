"""Look of the kiosk: the bundled CJK font and one stylesheet built from size/colour tokens.

Elder mode is the same stylesheet with larger tokens and a high-contrast palette, switched at
run time (no restart). Sizes are for a 1920x1080 touch panel viewed from 40-60 cm.
"""

from __future__ import annotations

import dataclasses
import logging

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QWidget

from kiosk import assets

log = logging.getLogger(__name__)

FALLBACK_FAMILY = "WenQuanYi Micro Hei"


@dataclasses.dataclass(frozen=True)
class Tokens:
    """Sizes in px and colours of one theme."""

    body: int
    heading: int
    title: int
    button_height: int
    key_size: int
    background: str
    surface: str
    text: str
    muted: str
    accent: str
    accent_text: str
    warning: str
    good: str


NORMAL = Tokens(
    body=24,
    heading=36,
    title=48,
    button_height=64,
    key_size=100,
    background="#f4f6f9",
    surface="#ffffff",
    text="#1a1a1a",
    muted="#4a5260",
    accent="#0b5cad",
    accent_text="#ffffff",
    warning="#b3261e",
    good="#1b6e3a",
)
# Large text for older residents: every size 1.5x the normal one (body 36 px, buttons 96 px
# high), white on black (21:1) with yellow buttons (black on yellow 14.7:1); every colour
# pair a resident reads is at least 7:1 (WCAG AAA), checked by tests/unit/test_theme.py.
ELDER = Tokens(
    body=36,
    heading=54,
    title=72,
    button_height=96,
    key_size=150,
    background="#000000",
    surface="#111111",
    text="#ffffff",
    muted="#f0f0f0",
    accent="#ffd400",
    accent_text="#000000",
    warning="#ff8a80",
    good="#7dff9a",
)

# The pairs a resident reads: (foreground, background) token names.
READ_PAIRS = (
    ("text", "background"),
    ("text", "surface"),
    ("muted", "background"),
    ("muted", "surface"),
    ("accent_text", "accent"),
    ("warning", "background"),
    ("warning", "surface"),
    ("good", "background"),
    ("good", "surface"),
)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def register_fonts() -> str:
    """Register the bundled CJK font; return the family name to use."""
    font_id = QFontDatabase.addApplicationFont(str(assets.CJK_FONT))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        log.error("bundled font %s could not be loaded", assets.CJK_FONT.name)
        return FALLBACK_FAMILY
    return families[0]


def stylesheet(tokens: Tokens, family: str) -> str:
    """The whole application stylesheet for ``tokens``."""
    t = tokens
    return f"""
    QWidget {{ font-family: "{family}"; font-size: {t.body}px; color: {t.text}; }}
    #KioskWindow, QStackedWidget, QScrollArea, QScrollArea > QWidget > QWidget {{
        background: {t.background}; }}
    #Header {{ background: {t.accent}; }}
    #Header QLabel {{ color: {t.accent_text}; font-size: {t.heading * 2 // 3}px; }}
    QLabel#Title {{ font-size: {t.title}px; font-weight: bold; }}
    QLabel#Heading {{ font-size: {t.heading}px; font-weight: bold; }}
    QLabel#Muted {{ color: {t.muted}; }}
    QLabel#Warning {{ color: {t.warning}; font-weight: bold; }}
    QLabel#Good {{ color: {t.good}; font-weight: bold; }}
    QLabel#HeadingWarning {{ color: {t.warning}; font-size: {t.heading}px; font-weight: bold; }}
    QLabel#HeadingGood {{ color: {t.good}; font-size: {t.heading}px; font-weight: bold; }}
    QFrame#Card {{ background: {t.surface}; border: 2px solid {t.muted}; border-radius: 12px; }}
    QPushButton {{ min-height: {t.button_height}px; padding: 0 36px; border-radius: 12px;
        background: {t.surface}; border: 3px solid {t.accent}; color: {t.text};
        font-size: {t.body + 4}px; }}
    QPushButton#Primary {{ background: {t.accent}; color: {t.accent_text};
        font-weight: bold; }}
    QPushButton:disabled {{ border-color: {t.muted}; color: {t.muted}; }}
    QPushButton#Key {{ min-width: {t.key_size}px; min-height: {t.key_size * 2 // 3}px;
        font-size: {t.heading}px; padding: 0; }}
    QPushButton#HeaderButton {{ min-height: {t.button_height}px; padding: 0 20px;
        background: {t.accent_text}; color: {t.accent}; border: none; }}
    QLineEdit {{ min-height: {t.button_height}px; font-size: {t.heading}px;
        background: {t.surface}; border: 3px solid {t.muted}; border-radius: 8px;
        padding: 0 16px; }}
    QLabel#Small {{ font-size: {t.body - 4}px; color: {t.muted}; }}
    QLabel#Mono {{ font-family: "DejaVu Sans Mono", monospace; font-size: {t.body - 8}px;
        color: {t.muted}; }}
    QFrame#CheckRow {{ background: {t.surface}; border: 2px solid {t.muted};
        border-radius: 10px; }}
    QFrame#CheckRow QLabel {{ background: transparent; }}
    QLabel#Advice {{ color: {t.text}; font-weight: bold; }}
    QFrame#CheckRow QLabel#BadgeGreen, QFrame#CheckRow QLabel#BadgeAmber,
    QFrame#CheckRow QLabel#BadgeRed {{ color: #ffffff; font-weight: bold;
        border-radius: 8px; padding: 4px 12px; }}
    QFrame#CheckRow QLabel#BadgeGreen {{ background: #1b6e3a; }}
    QFrame#CheckRow QLabel#BadgeAmber {{ background: #8a5300; }}
    QFrame#CheckRow QLabel#BadgeRed {{ background: #b3261e; }}
    QPushButton#Toggle:checked {{ background: {t.warning}; color: #ffffff;
        border-color: {t.warning}; font-weight: bold; }}
        QProgressBar {{ min-height: 24px; border: 2px solid {t.muted}; border-radius: 8px;
        background: {t.surface}; }}
    QProgressBar::chunk {{ background: {t.accent}; }}
    #Header QLabel#StaffBanner {{ background: {t.surface}; color: {t.text}; font-weight: bold;
        border: 4px solid {t.warning}; border-radius: 10px; padding: 4px 24px; }}
    QLabel#BusyBanner {{ background: {t.surface}; color: {t.text}; font-weight: bold;
        border-bottom: 4px solid {t.accent}; padding: 8px 24px; }}
    QPushButton#PageButton {{ min-height: {t.button_height * 3 // 2}px; min-width: {t.key_size}px;
        padding: 0 16px; }}
    QPushButton#BigChoice {{ min-height: {t.button_height}px; font-size: {t.heading * 3 // 4}px;
        font-weight: bold; background: {t.accent}; color: {t.accent_text}; padding: 0 48px; }}
    QPushButton#BigChoice:disabled {{ background: {t.surface}; color: {t.text};
        border-color: {t.accent}; }}
    QPushButton#Choice {{ text-align: left; padding: 0 28px; }}
    QPushButton#Choice:checked {{ background: {t.accent}; color: {t.accent_text};
        font-weight: bold; }}
    QPushButton#Field, QPushButton#FieldActive {{ font-size: {t.heading}px; text-align: left;
        padding: 0 24px; background: {t.surface}; color: {t.text};
        border: 3px solid {t.muted}; border-radius: 8px; }}
    QPushButton#FieldActive {{ border: 6px solid {t.accent}; padding: 0 21px; }}
    QPushButton#Primary:disabled {{ background: {t.surface}; color: {t.muted};
        border-color: {t.muted}; font-weight: normal; }}
    QLabel#Composition {{ color: {t.accent}; font-weight: bold; }}
    QLabel#Field {{ background: {t.surface}; border: 3px solid {t.muted}; border-radius: 8px;
        padding: 8px 16px; min-height: {t.button_height - 20}px; }}
    #StillThere {{ background: rgba(0, 0, 0, 170); }}
    QFrame#OverlayCard {{ background: {t.surface}; border: 4px solid {t.accent};
        border-radius: 24px; }}
    QFrame#OverlayCard QLabel {{ background: transparent; }}
    QLabel#Countdown {{ color: {t.warning}; font-size: {t.title * 2}px; font-weight: bold; }}
    QPushButton#OverlayButton {{ background: {t.accent}; color: {t.accent_text};
        font-weight: bold; font-size: {t.heading}px; min-width: 480px;
        min-height: {t.button_height * 3 // 2}px; }}
    """


def apply(app: QApplication, family: str, elder_mode: bool) -> None:
    """Apply the normal or elder theme to the whole application (a screen on its own, in
    tests and tools; the kiosk window uses ``Styler``)."""
    app.setStyleSheet(stylesheet(ELDER if elder_mode else NORMAL, family))


class Styler:
    """Keeps each part of the window (header, banner, overlay, every screen) in the current
    theme without freezing the window when large text goes on or off.

    A style sheet change repolishes every widget under the one that holds it: set on the
    application, that is all ~390 widgets at once, 0.12 s on an idle machine and up to 0.75 s
    on a busy one (the soak's worst stall). So each part holds its own copy of the sheet: the
    parts showing now are restyled at once, the hidden ones one per event-loop turn after that
    (none takes more than ~15 ms), and a part about to show that is still behind is restyled
    just before it shows (``bring_up_to_date``).
    """

    def __init__(self, family: str, owner: QWidget) -> None:
        """``owner`` holds every part: the restyling stops when it is gone."""
        self._sheets = {False: stylesheet(NORMAL, family), True: stylesheet(ELDER, family)}
        self._styled: dict[QWidget, bool | None] = {}
        self.elder_mode: bool | None = None
        self._later = QTimer(owner)
        self._later.setSingleShot(True)
        self._later.setInterval(0)
        self._later.timeout.connect(self._restyle_next)

    @property
    def tokens(self) -> Tokens:
        """The current theme's tokens."""
        return ELDER if self.elder_mode else NORMAL

    def add(self, part: QWidget) -> None:
        """Style ``part`` and everything under it; it must hold no other style sheet."""
        self._styled[part] = None

    def switch(self, elder_mode: bool, showing: list[QWidget]) -> None:
        """Change theme: ``showing`` now, every other part soon after."""
        self.elder_mode = elder_mode
        for part in showing:
            self.bring_up_to_date(part)
        self._later.start()

    def bring_up_to_date(self, part: QWidget) -> None:
        """Restyle ``part`` now if it is not in the current theme yet."""
        if self.elder_mode is None or self._styled[part] is self.elder_mode:
            return
        part.setStyleSheet(self._sheets[self.elder_mode])
        part.ensurePolished()  # a part never shown yet is polished now, not when it shows
        self._styled[part] = self.elder_mode

    def pending(self) -> int:
        """Parts not in the current theme yet."""
        return sum(styled is not self.elder_mode for styled in self._styled.values())

    def _restyle_next(self) -> None:
        for part, styled in self._styled.items():
            if styled is not self.elder_mode:
                self.bring_up_to_date(part)
                self._later.start()  # the next part after the event loop has turned
                return
