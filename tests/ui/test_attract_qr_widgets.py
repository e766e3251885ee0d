"""The idle screen's card animation and the on-screen QR code, offscreen.

The animation must run only while it is on screen and draw in both themes at any size; the QR
code must scan (read back with zxing-cpp, as a phone would) and leave nothing once cleared.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageOps
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from ui import theme
from ui.widgets.attract import READ, InsertCardAnimation
from ui.widgets.qr_view import QUIET_ZONE, QrView

URL = "https://credit.example.gov.cn/report/download?ticket=7f3a9c2e51d04b88&exp=1767225600"
READING = (READ[0] + READ[1]) / 2  # the middle of the read, where the reader glows most


def _colors(image: QImage) -> set[int]:
    """The distinct 0xAARRGGBB values in ``image``."""
    rgb = image.convertToFormat(QImage.Format.Format_ARGB32)
    return set(memoryview(rgb.constBits()).cast("I"))


def _decode(png: Path) -> list[str]:
    import zxingcpp

    with Image.open(png) as image:
        return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


# ---------------------------------------------------------------------- the card animation


@pytest.fixture
def animation(qtbot: QtBot) -> InsertCardAnimation:
    widget = InsertCardAnimation()
    qtbot.add_widget(widget)
    widget.resize(widget.sizeHint())
    return widget


def test_animates_while_shown_and_stops_while_hidden(
    qtbot: QtBot, animation: InsertCardAnimation
) -> None:
    assert not animation.is_running()  # never shown yet
    animation.show()
    qtbot.wait_exposed(animation)
    assert animation.is_running()
    start = animation.progress()
    qtbot.wait_until(lambda: animation.progress() != start)

    animation.hide()
    assert not animation.is_running()
    frozen = animation.progress()
    qtbot.wait(150)
    assert animation.progress() == frozen

    animation.show()
    assert animation.is_running()
    qtbot.wait_until(lambda: animation.progress() != frozen)


def test_rests_between_loops_without_drawing_then_plays_again(
    qtbot: QtBot, animation: InsertCardAnimation
) -> None:
    """The idle screen shows for hours: after each loop no frame is made for a while."""
    animation._rest.setInterval(300)  # the real rest is seconds long
    animation.set_progress(0.97)  # near the end of a loop
    animation.show()
    qtbot.wait_exposed(animation)
    animation.set_running(True)
    qtbot.wait_until(lambda: animation._rest.isActive())
    assert animation.progress() == 0.0 and not animation._frames.isActive()
    assert animation.is_running()  # resting is part of animating
    qtbot.wait(100)
    assert animation.progress() == 0.0  # nothing moves while resting
    qtbot.wait_until(lambda: animation.progress() > 0.0)
    animation.hide()
    assert not animation.is_running()


def test_stops_when_its_screen_is_switched_away(qtbot: QtBot) -> None:
    """Hidden with its page, as when the idle screen gives way to the next one."""
    stack = QStackedWidget()
    qtbot.add_widget(stack)
    idle_page, other_page = QWidget(), QWidget()
    animation = InsertCardAnimation()
    QVBoxLayout(idle_page).addWidget(animation)
    stack.addWidget(idle_page)
    stack.addWidget(other_page)
    stack.show()
    qtbot.wait_exposed(stack)
    assert animation.is_running()
    stack.setCurrentWidget(other_page)
    assert not animation.is_running()
    stack.setCurrentWidget(idle_page)
    assert animation.is_running()


def test_set_running_and_set_progress_hold_the_frame(
    qtbot: QtBot, animation: InsertCardAnimation
) -> None:
    animation.show()
    qtbot.wait_exposed(animation)
    animation.set_running(False)
    assert not animation.is_running()
    animation.set_running(True)
    assert animation.is_running()

    animation.set_progress(0.25)
    assert not animation.is_running()
    qtbot.wait(150)
    assert animation.progress() == 0.25
    animation.set_progress(1.25)
    assert animation.progress() == 0.25  # a loop: progress wraps

    animation.hide()
    animation.set_running(True)
    assert not animation.is_running()  # wanted, but off screen
    animation.show()
    assert animation.is_running()
    qtbot.wait_until(lambda: animation.progress() != 0.25)


def test_animation_has_an_accessible_name(animation: InsertCardAnimation) -> None:
    assert animation.accessibleName() == "动画：将身份证放在读卡区"


@pytest.mark.parametrize("tokens", [theme.NORMAL, theme.ELDER], ids=["normal", "elder"])
@pytest.mark.parametrize("size", [(1920, 1080), (1080, 760), (520, 300), (180, 104)])
def test_draws_in_both_themes_at_any_size(
    animation: InsertCardAnimation, tokens: theme.Tokens, size: tuple[int, int]
) -> None:
    animation.set_colors(tokens.accent, tokens.surface, tokens.text)
    animation.resize(*size)
    frames = {}
    for progress in (0.0, 0.3, READING):
        animation.set_progress(progress)
        image = animation.grab().toImage()
        assert (image.width(), image.height()) == size
        # Shapes, shading and antialiased edges: far more than a blank or flat image has.
        assert len(_colors(image)) > 20, progress
        frames[progress] = image
    assert frames[0.0] != frames[0.3]
    assert frames[0.3] != frames[READING]
    # While reading, the status light shines in the theme's accent colour.
    assert QColor(tokens.accent).rgba() in _colors(frames[READING])


# ---------------------------------------------------------------------- the QR code


@pytest.fixture
def qr(qtbot: QtBot) -> QrView:
    widget = QrView()
    qtbot.add_widget(widget)
    return widget


@pytest.mark.parametrize("size", [(600, 600), (420, 700), (900, 500), (211, 211)])
def test_qr_code_scans_back_to_the_url(
    qtbot: QtBot, qr: QrView, tmp_path: Path, size: tuple[int, int]
) -> None:
    qr.resize(*size)
    qr.set_url(URL)
    qr.show()
    qtbot.wait_exposed(qr)
    png = tmp_path / "qr.png"
    assert qr.grab().save(str(png))
    assert _decode(png) == [URL]


def test_qr_code_is_crisp_with_a_quiet_zone(qr: QrView, tmp_path: Path) -> None:
    width, height = 700, 500
    qr.resize(width, height)
    qr.set_url(URL)
    png = tmp_path / "qr.png"
    assert qr.grab().save(str(png))
    side = min(width, height)
    tile = QRect((width - side) // 2, (height - side) // 2, side, side)
    # Only pure black and white inside the code's square: no blurred module edges.
    inside = qr.grab().toImage().copy(tile)
    assert _colors(inside) == {QColor("black").rgba(), QColor("white").rgba()}

    with Image.open(png) as image:
        gray = image.convert("L").crop(
            (tile.left(), tile.top(), tile.right() + 1, tile.bottom() + 1)
        )
    left, top, right, bottom = ImageOps.invert(gray).getbbox() or (0, 0, side, side)
    # The top-left finder pattern is 7 modules wide: every module is the same whole pixels.
    first_row = [gray.getpixel((x, top)) for x in range(left, right)]
    finder = first_row.index(255)
    assert finder % 7 == 0
    module = finder // 7
    assert module >= 3
    # At least 4 white modules on every side (centring may add a few pixels more).
    for margin in (left, top, side - right, side - bottom):
        assert margin >= QUIET_ZONE * module


def test_qr_code_stays_black_on_white_on_the_dark_theme(qtbot: QtBot, tmp_path: Path) -> None:
    page = QWidget()
    qtbot.add_widget(page)
    page.setObjectName("Page")
    page.setStyleSheet(
        f"QWidget#Page {{ background: {theme.ELDER.background}; }}"
        f" QWidget {{ color: {theme.ELDER.text}; }}"
    )
    layout = QVBoxLayout(page)
    layout.setContentsMargins(40, 40, 40, 40)
    view = QrView()
    view.set_url(URL)
    layout.addWidget(view)
    page.resize(640, 640)
    page.show()
    qtbot.wait_exposed(page)
    png = tmp_path / "page.png"
    image = page.grab().toImage()
    assert image.pixelColor(5, 5) == QColor(theme.ELDER.background)
    assert image.save(str(png))
    assert _decode(png) == [URL]


@pytest.mark.parametrize("cleared", [None, ""])
def test_clearing_the_qr_code_leaves_nothing(
    qtbot: QtBot, qr: QrView, tmp_path: Path, cleared: str | None
) -> None:
    qr.resize(600, 600)
    qr.set_url(URL)
    qr.show()
    qtbot.wait_exposed(qr)
    assert qr.has_code()
    qr.set_url(cleared)
    assert not qr.has_code()
    png = tmp_path / "cleared.png"
    image = qr.grab().toImage()
    assert image.save(str(png))
    assert _decode(png) == []
    assert QColor("black").rgba() not in _colors(image)


def test_qr_accessible_name_is_not_the_link(qr: QrView) -> None:
    qr.set_url(URL)
    assert qr.accessibleName() == "二维码"
    assert URL not in qr.accessibleName() + qr.accessibleDescription() + qr.toolTip()
