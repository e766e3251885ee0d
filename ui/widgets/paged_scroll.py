"""A scrolling area for a touch kiosk: finger drags and big page buttons, no thin scroll bars."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QScrollArea,
    QScroller,
    QScrollerProperties,
    QVBoxLayout,
    QWidget,
)

from ui.i18n import translate
from ui.screens import base

PAGE_STEP = 0.9  # of the visible height: a line of the last page shows again on the next


class PagedScroll(QWidget):
    """``content`` in a scroll area with "上一页" / "下一页" and "page n / m" beside it.

    The page buttons sit beside the list, where a thumb finds them; each is disabled at its
    end, and the position says how much is left.
    """

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(24)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        QScroller.grabGesture(
            self.scroll_area.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture
        )
        # A tap on a button inside the list must press it at once: by default the scroller
        # holds a press back (to see whether it starts a drag) and a quick tap got lost.
        scroller = QScroller.scroller(self.scroll_area.viewport())
        properties = scroller.scrollerProperties()
        properties.setScrollMetric(QScrollerProperties.ScrollMetric.MousePressEventDelay, 0)
        scroller.setScrollerProperties(properties)
        self.scroll_area.setWidget(content)
        row.addWidget(self.scroll_area, 1)

        pager = QVBoxLayout()
        pager.setSpacing(24)
        self.up_button = base.button("")
        self.down_button = base.button("")
        for button in (self.up_button, self.down_button):
            button.setObjectName("PageButton")
        self.up_button.clicked.connect(lambda: self.page(-1))
        self.down_button.clicked.connect(lambda: self.page(1))
        pager.addWidget(self.up_button)
        pager.addStretch(1)
        self.position = base.label("", "Muted", wrap=False, align=Qt.AlignmentFlag.AlignHCenter)
        pager.addWidget(self.position)
        pager.addStretch(1)
        pager.addWidget(self.down_button)
        row.addLayout(pager)
        bar = self.scroll_area.verticalScrollBar()
        bar.valueChanged.connect(self._show_position)
        bar.rangeChanged.connect(self._show_position)
        self.retranslate()

    def retranslate(self) -> None:
        """Button texts in the current language."""
        self.up_button.setText(translate("PagedScroll", "▲ 上一页"))
        self.down_button.setText(translate("PagedScroll", "▼ 下一页"))
        self.up_button.setAccessibleName(translate("PagedScroll", "上一页"))
        self.down_button.setAccessibleName(translate("PagedScroll", "下一页"))

    def page(self, direction: int) -> None:
        """Scroll one screenful up (-1) or down (+1), starting the page at a block's top
        where one is near (a heading is not cut in half)."""
        bar = self.scroll_area.verticalScrollBar()
        step = int(self.scroll_area.viewport().height() * PAGE_STEP)
        target = bar.value() + direction * step
        bar.setValue(self._block_top_near(target, bar.value(), direction))

    def _block_top_near(self, target: int, current: int, direction: int) -> int:
        """The top of the content's last block starting between here and ``target`` (going
        down) or the first one after ``target`` (going up); ``target`` when there is none."""
        content = self.scroll_area.widget()
        if content is None:
            return target
        tops = sorted(
            child.y()
            for child in content.findChildren(
                QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly
            )
            if child.isVisible()
        )
        if direction > 0:
            inside = [top for top in tops if current < top <= target]
            return inside[-1] if inside else target
        inside = [top for top in tops if target <= top < current]
        return inside[0] if inside else target

    def to_top(self) -> None:
        """Back to the first page (new content)."""
        self.scroll_area.verticalScrollBar().setValue(0)

    def _show_position(self) -> None:
        bar = self.scroll_area.verticalScrollBar()
        step = max(1, int(self.scroll_area.viewport().height() * PAGE_STEP))
        pages = 1 + (bar.maximum() + step - 1) // step
        current = min(pages, 1 + (bar.value() + step // 2) // step)
        self.position.setText(f"{current} / {pages}")
        self.up_button.setEnabled(bar.value() > bar.minimum())
        self.down_button.setEnabled(bar.value() < bar.maximum())
