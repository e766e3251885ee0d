"""A vertical layout for long lists that grow while shown: items one under the other, each
at its height for the width, never squeezed.

``QVBoxLayout`` shares out the space it is given: while a list grows, its parent is resized
after the layout has run, so every pass first squeezes every item by a pixel or two and then
grows them back, re-wrapping every line of a report of hundreds of records on each pass. This
layout places each item at its own height for the width and lets the last ones overflow until
the parent has grown: appending an item moves nothing already placed.
"""

from __future__ import annotations

import functools

import shiboken6
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget


class ColumnLayout(QLayout):
    """Items stacked top to bottom at full width, ``spacing`` px apart."""

    def __init__(self, parent: QWidget | None = None, *, spacing: int = 0) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        # Until something changes (``invalidate``): the height at one width, and the rectangle
        # the items were last placed in. Parents ask for both many times per pass.
        self._height_for: tuple[int, int] | None = None
        self._placed_in: QRect | None = None
        # A layout owns its items (Qt's QBoxLayout deletes them in its destructor); one
        # written in Python has no destructor of its own, so they go when it is destroyed.
        # (Left behind, a report's ~45 items leaked 5 KB a resident.)
        self.destroyed.connect(functools.partial(_delete_items, self._items))

    def invalidate(self) -> None:
        """An item was added, removed or changed its size: measure and place again."""
        self._height_for = None
        self._placed_in = None
        super().invalidate()

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt's name
        """Qt's hook for ``addWidget``: the item goes last."""
        self._items.append(item)
        self.invalidate()

    def count(self) -> int:
        """How many items."""
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        """The item at ``index``, None past the end."""
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        """Remove and return the item at ``index``."""
        if not 0 <= index < len(self._items):
            return None
        item = self._items.pop(index)
        self.invalidate()
        return item

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        """The height depends on the width (lines wrap)."""
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        """The height the items need at ``width`` (margins included)."""
        if self._height_for is not None and self._height_for[0] == width:
            return self._height_for[1]
        margins = self.contentsMargins()
        inner = width - margins.left() - margins.right()
        heights = [
            item.heightForWidth(inner) if item.hasHeightForWidth() else item.sizeHint().height()
            for item in self._shown()
        ]
        gaps = self._gap * max(0, len(heights) - 1)
        height = sum(heights) + gaps + margins.top() + margins.bottom()
        self._height_for = (width, height)
        return height

    def sizeHint(self) -> QSize:
        """As wide as the widest item wants; as tall as it needs at that width."""
        margins = self.contentsMargins()
        width = max((item.sizeHint().width() for item in self._shown()), default=0)
        width += margins.left() + margins.right()
        return QSize(width, self.heightForWidth(width))

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt's name
        """As narrow as the widest item allows; the height follows the width."""
        margins = self.contentsMargins()
        width = max((item.minimumSize().width() for item in self._shown()), default=0)
        return QSize(width + margins.left() + margins.right(), 0)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt's name
        """Place each item at its height for the width, from the top."""
        super().setGeometry(rect)
        if rect == self._placed_in:
            return
        self._placed_in = QRect(rect)
        area = self.contentsRect()
        top = area.top()
        for item in self._shown():
            height = (
                item.heightForWidth(area.width())
                if item.hasHeightForWidth()
                else item.sizeHint().height()
            )
            item.setGeometry(QRect(area.left(), top, area.width(), height))
            top += height + self._gap

    def _shown(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]


def _delete_items(items: list[QLayoutItem]) -> None:
    """Delete the layout items themselves (a widget's item leaves the widget alone)."""
    while items:
        shiboken6.delete(items.pop())
