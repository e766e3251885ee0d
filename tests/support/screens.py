"""Helpers for tests of the real Qt screens (offscreen)."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QWidget


def scrolled(widget: QWidget) -> bool:
    """Inside a scroll area: below the fold on purpose (the page buttons bring it up)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            return True
        parent = parent.parentWidget()
    return False
