"""Route Qt's own messages into Python logging, so they reach the log file (not the console)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

log = logging.getLogger("ui.qt")

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}

# Harmless on the offscreen platform used for screenshots and tests: it has no window manager.
_IGNORED = ("This plugin does not support propagateSizeHints()",)


def _handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if message in _IGNORED:
        return
    log.log(_LEVELS.get(kind, logging.WARNING), "%s (%s)", message, context.category)


def install() -> None:
    """Install the handler (once per process; later calls replace it with itself)."""
    qInstallMessageHandler(_handler)
