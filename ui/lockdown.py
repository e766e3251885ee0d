"""Nothing a keyboard or a long press can do leaves the kiosk or opens what residents should
not see: no context menus (a text field's own "copy, paste, select all" included), no tooltips,
no "what's this", no quit or close shortcut.

The window refuses to close on its own (``KioskWindow.closeEvent``); this filter, installed on
the application, stops the events before any widget sees them. What the compositor does with
Ctrl+Alt+Backspace or Ctrl+Alt+F1 is the compositor's: cage without ``-s`` switches no virtual
terminals and has no key that ends the session (docs/deploy.md).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent

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
    }
)
_MODIFIERS = _CTRL | _ALT | Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.MetaModifier


class Lockdown(QObject):
    """An application event filter for production: install with ``app.installEventFilter``."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """True (swallowed) for menus, tooltips and escape keys; everything else passes."""
        kind = event.type()
        if kind in _SWALLOWED:
            return True
        if kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) and isinstance(
            event, QKeyEvent
        ):
            return is_escape_key(event)
        return False


def is_escape_key(event: QKeyEvent) -> bool:
    """A key combination that would quit, close or switch away elsewhere."""
    key = Qt.Key(event.key())
    modifiers = event.modifiers() & _MODIFIERS
    if key == Qt.Key.Key_Meta or modifiers & Qt.KeyboardModifier.MetaModifier:
        return True  # the "Windows" key opens a desktop's launcher
    return (key, modifiers) in _ESCAPE_KEYS
