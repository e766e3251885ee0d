"""The report's list layout: items at their height for the width, never squeezed; appending
one moves nothing already placed."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from ui.widgets.column_layout import ColumnLayout

LONG = "镇江市市场监督管理局　未按规定公示年度报告被处以罚款人民币二千元整" * 3


class Resizes(QObject):
    """Counts the resize events of the widgets it watches."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.count += 1
        return False


def _wrapped(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def test_items_stack_at_their_height_for_the_width(qtbot: QtBot) -> None:
    column = QWidget()
    qtbot.add_widget(column)
    layout = ColumnLayout(column, spacing=10)
    layout.setContentsMargins(5, 7, 5, 7)
    labels = [_wrapped(LONG), _wrapped("短"), _wrapped(LONG)]
    for label in labels:
        layout.addWidget(label)
    hidden = _wrapped(LONG)
    layout.addWidget(hidden)
    hidden.hide()
    width = 400
    heights = [label.heightForWidth(width - 10) for label in labels]
    assert heights[0] > heights[1] * 2  # the long one wraps
    assert layout.heightForWidth(width) == sum(heights) + 2 * 10 + 14  # the hidden one: nothing
    column.resize(width, layout.heightForWidth(width))
    column.show()
    qtbot.wait_until(lambda: labels[2].y() > 0)
    assert [label.y() for label in labels] == [7, 7 + heights[0] + 10, 27 + sum(heights[:2])]
    assert [label.height() for label in labels] == heights


def test_appending_moves_and_resizes_nothing_already_placed(qtbot: QtBot) -> None:
    column = QWidget()
    qtbot.add_widget(column)
    layout = ColumnLayout(column, spacing=10)
    layout.setContentsMargins(0, 0, 0, 0)
    placed = [_wrapped(LONG) for _ in range(20)]
    for label in placed:
        layout.addWidget(label)
    column.resize(400, 300)  # far too short: the list overflows rather than being squeezed
    column.show()
    qtbot.wait_until(lambda: placed[-1].y() > 300)
    assert all(label.height() == label.heightForWidth(400) for label in placed)
    watcher = Resizes()
    for label in placed:
        label.installEventFilter(watcher)
    before = [label.geometry() for label in placed]
    new = _wrapped(LONG)
    layout.addWidget(new)
    qtbot.wait_until(lambda: new.isVisible() and new.y() > placed[-1].y())
    column.resize(400, layout.heightForWidth(400))
    qtbot.wait(10)
    assert [label.geometry() for label in placed] == before
    assert watcher.count == 0


def test_its_items_go_with_it(qtbot: QtBot) -> None:
    """A layout owns its items: when the widget holding it goes, they are deleted too (a
    report's ~45 items a resident leaked while they were not)."""
    column = QWidget()
    layout = ColumnLayout(column, spacing=10)
    for text in ("一", "二", "三"):
        layout.addWidget(_wrapped(text))
    item = layout.itemAt(1)
    assert item is not None and shiboken6.isValid(item)
    shiboken6.delete(column)
    assert not shiboken6.isValid(item)
