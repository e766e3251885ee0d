"""Taps as a touch panel sends them, for the demo's autopilot and the soak.

The event goes to the window's ``QWindow`` at the widget's centre, the way real input arrives:
through the kiosk's lockdown and its "any touch keeps the resident's session" watcher, and to
whatever is on top there (the "still there?" overlay, if it shows). QTest's widget overloads
would hand the events to the widget directly and skip all of that.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget


def tap(widget: QWidget) -> None:
    """Press and release the left button (a finger) on the middle of ``widget``."""
    window = widget.window()
    at = widget.mapTo(window, widget.rect().center())
    QTest.mouseClick(window.windowHandle(), Qt.MouseButton.LeftButton, pos=at)
