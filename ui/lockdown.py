"""Nothing a keyboard, a mouse or a long press can do leaves the kiosk or opens what residents
should not see: no context menus (a text field's own "copy, paste, select all" included), no
tooltips, no "what's this", no quit or close shortcut.

The window refuses to close on its own (``KioskWindow.closeEvent``); this filter sits on the
kiosk window's ``QWindow``, where every key, mouse and touch event arrives before Qt hands it to
a widget or turns it into something else: a right button or the menu key into a context menu, a
mouse resting over a widget into a tooltip, Shift+F1 into "what's this". Swallowed there, those
never come to be. (An application-wide filter would also see them, but it is called for every
event of every widget, hundreds per change of screen, each a Python call that waits for the
GIL while a worker thread renders a receipt: 55 ms a screen change, measured.)

What the compositor does with Ctrl+Alt+Backspace or Ctrl+Alt+F1 is the compositor's: cage
without ``-s`` switches no virtual terminals and has no key that ends the session
(docs/deploy.md).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent

log = logging.getLogger(__name__)

# Events that would show something extra over the kiosk's screens.
_SWALLOWED = frozenset(
    {
        QEvent.Type.ContextMenu,
        QEvent.Type.ToolTip,
        QEvent.Type.WhatsThis,
        QEvent.Type.QueryWhatsThis,
        QEvent.Type.WhatsThisClicked,
    }
)
_MOUSE = frozenset(
    {
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
    }
)

_CTRL = Qt.KeyboardModifier.ControlModifier
_ALT = Qt.KeyboardModifier.AltModifier
# Keys that quit, close or switch away in common desktops and toolkits.
_ESCAPE_KEYS: frozenset[tuple[Qt.Key, Qt.KeyboardModifier]] = frozenset(
    {
        (Qt.Key.Key_F4, _ALT),
        (Qt.Key.Key_F4, _CTRL),
        (Qt.Key.Key_Q, _CTRL),
        (Qt.Key.Key_W, _CTRL),
        (Qt.Key.Key_Backspace, _CTRL | _ALT),
        (Qt.Key.Key_Delete, _CTRL | _ALT),
        (Qt.Key.Key_Tab, _ALT),
        (Qt.Key.Key_Escape, _ALT),
        (Qt.Key.Key_F1, Qt.KeyboardModifier.ShiftModifier),  # "what's this"
    }
)
_MODIFIERS = _CTRL | _ALT | Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.MetaModifier


class Lockdown(QObject):
    """The production window's event filter: ``window.windowHandle().installEventFilter``."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """True (swallowed) for what would open a menu, a tooltip or "what's this" and for
        escape keys; everything else passes."""
        kind = event.type()
        if kind in _SWALLOWED:
            return True
        if kind in _MOUSE and isinstance(event, QMouseEvent):
            return is_menu_or_hover(event)
        if kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) and isinstance(
            event, QKeyEvent
        ):
            return is_escape_key(event) or event.key() == Qt.Key.Key_Menu
        return False


def is_menu_or_hover(event: QMouseEvent) -> bool:
    """A right or middle button (a context menu, a paste), or a mouse moving with no button
    held: a touch panel never hovers, and a hover is what wakes tooltips."""
    if event.type() == QEvent.Type.MouseMove:
        return event.buttons() == Qt.MouseButton.NoButton
    return event.button() not in (Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)


def is_escape_key(event: QKeyEvent) -> bool:
    """A key combination that would quit, close or switch away elsewhere."""
    key = Qt.Key(event.key())
    modifiers = event.modifiers() & _MODIFIERS
    if key == Qt.Key.Key_Meta or modifiers & Qt.KeyboardModifier.MetaModifier:
        return True  # the "Windows" key opens a desktop's launcher
    return (key, modifiers) in _ESCAPE_KEYS
