"""The idle screen's attract animation: an ID card laid on the reader, which then reads it.

Drawn with QPainter from one progress value (0..1 over a loop), so any frame can be frozen
for screenshots and tests. The scene is drawn in a fixed 520x300 coordinate space fitted into
the widget, so it scales with the panel (landscape or portrait) without any image files.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from PySide6.QtCore import QEasingCurve, QElapsedTimer, QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QHideEvent,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QShowEvent,
    QTransform,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui import theme
from ui.i18n import translate

LOOP_MS = 4000
# The idle screen shows for hours: 20 fps is smooth enough for a slow illustration, and after
# each loop the picture rests (no frames at all), which halves the cost again. Measured at
# 1920x1080 on the 2-core development VM: 30 fps without rests took ~12% of a core.
FRAME_MS = 50
REST_MS = 4000
SCENE_W, SCENE_H = 520.0, 300.0

# Timeline of one loop, as fractions of it.
FADE_IN = (0.00, 0.10)
DESCEND = (0.06, 0.50)
READ = (0.52, 0.86)
FADE_OUT = (0.86, 0.97)

# The reader's top face is a plane tilted away from the viewer; the card ends up lying in it.
PLANE_TILT = 56.0  # degrees from facing the viewer
START_TILT = 8.0  # the card starts almost upright, its face towards the resident
VIEW_DISTANCE = 700.0  # scene units: a mild perspective, like a product illustration
READER_CENTER = QPointF(260, 196)
CARD_START = QPointF(260, 70)
CARD = QRectF(-86, -54, 172, 108)  # ID-1 card proportions (85.6 x 54 mm)
TOP_FACE = QRectF(-156, -84, 312, 168)
PAD = QRectF(-104, -68, 208, 136)
FRONT_DEPTH = 38.0  # height of the reader's front face, in scene units
CORNER = 16.0  # radius of the reader's corners

_EASE = QEasingCurve(QEasingCurve.Type.InOutCubic)


def _phase(progress: float, span: tuple[float, float]) -> float:
    """How far ``progress`` is through ``span``: 0 before it, 1 after it."""
    start, end = span
    return min(1.0, max(0.0, (progress - start) / (end - start)))


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` blended towards ``b`` by ``t`` (0 = a, 1 = b)."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


def _alpha(color: QColor, alpha: float) -> QColor:
    faded = QColor(color)
    faded.setAlphaF(max(0.0, min(1.0, alpha)))
    return faded


def _tilted(center: QPointF, tilt_degrees: float) -> QTransform:
    """Maps a flat shape drawn around (0, 0) onto a plane tilted back by ``tilt_degrees``.

    Rotation about the horizontal axis with a perspective divide: the far (top) edge comes
    out narrower than the near one, which is what makes the reader read as a flat device.
    """
    tilt = math.radians(tilt_degrees)
    project = QTransform(1, 0, 0, 0, math.cos(tilt), -math.sin(tilt) / VIEW_DISTANCE, 0, 0, 1)
    return project * QTransform.fromTranslate(center.x(), center.y())


class InsertCardAnimation(QWidget):
    """A looping drawing of an ID card being laid on the card reader (about 4 s a loop).

    It animates only while shown (a kiosk can sit on its idle screen for hours), and not at
    all after ``set_running(False)`` or ``set_progress``. The colours follow the theme through
    ``set_colors``; the background is left to the screen underneath.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._progress = 0.0
        self._wanted = True  # whether to animate whenever the widget is on screen
        self._loop_start = 0.0  # the progress the running clock counts from
        self._clock = QElapsedTimer()
        self._frames = QTimer(self)
        self._frames.setInterval(FRAME_MS)
        self._frames.timeout.connect(self._advance)
        self._rest = QTimer(self)  # between loops: nothing moves, nothing is drawn
        self._rest.setSingleShot(True)
        self._rest.setInterval(REST_MS)
        self._rest.timeout.connect(self._sync_timer)
        self._accent = QColor(theme.NORMAL.accent)
        self._surface = QColor(theme.NORMAL.surface)
        self._text = QColor(theme.NORMAL.text)
        self._reader = _reader_shape()  # fixed: built once, not every frame
        self.retranslate()

    # ------------------------------------------------------------------ public API

    def retranslate(self) -> None:
        """Set the accessible name in the current language."""
        self.setAccessibleName(translate("InsertCardAnimation", "动画：将身份证放在读卡区"))

    def set_colors(self, accent: str, surface: str, text: str) -> None:
        """Draw with the theme's colours (``theme.Tokens`` accent, surface and text)."""
        self._accent, self._surface, self._text = QColor(accent), QColor(surface), QColor(text)
        self.update()

    def set_running(self, running: bool) -> None:
        """Animate (whenever shown) or hold the current frame."""
        self._wanted = running
        self._sync_timer()

    def is_running(self) -> bool:
        """Whether it is animating (producing frames, or resting between two loops)."""
        return self._frames.isActive() or self._rest.isActive()

    def progress(self) -> float:
        """Where in the loop the drawing is, from 0 up to (not including) 1."""
        return self._progress

    def set_progress(self, progress: float) -> None:
        """Freeze at one frame (for screenshots); ``set_running(True)`` goes on from there."""
        self._wanted = False
        self._sync_timer()
        self._progress = progress % 1.0
        self.update()

    def sizeHint(self) -> QSize:
        """The scene's own size."""
        return QSize(int(SCENE_W), int(SCENE_H))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Below this the card's details are too small to make out."""
        return QSize(int(SCENE_W) // 3, int(SCENE_H) // 3)

    # ------------------------------------------------------------------ clock

    def showEvent(self, event: QShowEvent) -> None:
        """Resume when the idle screen comes back."""
        super().showEvent(event)
        self._sync_timer()

    def hideEvent(self, event: QHideEvent) -> None:
        """Off screen there is nothing to animate: stop, keep the frame."""
        super().hideEvent(event)
        self._frames.stop()
        self._rest.stop()

    def _sync_timer(self) -> None:
        run = self._wanted and self.isVisible()
        if run and not self._frames.isActive():
            self._rest.stop()
            self._loop_start = self._progress
            self._clock.start()
            self._frames.start()
        elif not run:
            self._frames.stop()
            self._rest.stop()

    def _advance(self) -> None:
        # From the elapsed time, not a per-tick step: a late tick does not slow the loop.
        position = self._loop_start + self._clock.elapsed() / LOOP_MS
        if position >= 1.0:  # a loop is over: rest on its first (empty) frame
            self._progress = 0.0
            self._frames.stop()
            self._rest.start()
        else:
            self._progress = position
        self.update()

    # ------------------------------------------------------------------ drawing

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the frame at the current progress, scaled to fit and centred."""
        scale = min(self.width() / SCENE_W, self.height() / SCENE_H)
        if scale <= 0:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(
            (self.width() - SCENE_W * scale) / 2, (self.height() - SCENE_H * scale) / 2
        )
        painter.scale(scale, scale)
        p = self._progress
        card_in = _phase(p, FADE_IN) * (1.0 - _phase(p, FADE_OUT))
        # The card comes down onto the reader, and lifts a little as it fades away.
        lift = 0.3 * _EASE.valueForProgress(_phase(p, FADE_OUT))
        descent = _EASE.valueForProgress(_phase(p, DESCEND)) - lift
        reading = _phase(p, READ) if p < READ[1] else 0.0
        glow = math.sin(math.pi * _phase(p, READ))  # rises and falls once over the read
        self._draw_reader(painter, glow)
        if card_in > 0:
            self._draw_shadow(painter, descent, card_in)
            if reading > 0:
                self._draw_ripples(painter, reading)
            self._draw_card(painter, descent, card_in, glow)
        painter.end()

    def _is_dark(self) -> bool:
        return self._surface.lightnessF() < 0.5

    def _line(self) -> QColor:
        """Outlines: soft grey on a light theme, full contrast on the dark one."""
        return _mix(self._surface, self._text, 0.9 if self._is_dark() else 0.3)

    def _draw_reader(self, painter: QPainter, glow: float) -> None:
        plane, top, body, near = self._reader
        dark = self._is_dark()
        line = self._line()

        painter.setPen(Qt.PenStyle.NoPen)
        if not dark:  # a soft shadow grounds the device on the light background
            for drop in (2.0, 5.0, 8.0):
                painter.setBrush(_alpha(self._text, 0.035))
                painter.drawPath(body.translated(0, drop))
        painter.setBrush(_mix(self._surface, self._text, 0.16 if dark else 0.10))
        painter.drawPath(body)
        shade = QLinearGradient(0, near - 90, 0, near)
        shade.setColorAt(0, _mix(self._surface, self._text, 0.06 if dark else 0.0))
        shade.setColorAt(1, _mix(self._surface, self._text, 0.02 if dark else 0.03))
        painter.setBrush(shade)
        painter.drawPath(top)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(line, 2.5, j=Qt.PenJoinStyle.RoundJoin))
        painter.drawPath(body)
        painter.setPen(QPen(_alpha(line, 0.7), 1.5))
        painter.drawPath(top)

        # The status light on the front: dim while waiting, the accent colour while reading.
        bar = QRectF(READER_CENTER.x() - 44, near + FRONT_DEPTH / 2 - 3, 88, 6)
        painter.setPen(Qt.PenStyle.NoPen)
        if glow > 0:
            for grow, alpha in ((10.0, 0.12), (5.0, 0.22)):
                painter.setBrush(_alpha(self._accent, alpha * glow))
                painter.drawRoundedRect(bar.adjusted(-grow, -grow, grow, grow), 8 + grow, 8 + grow)
        painter.setBrush(_mix(_mix(self._surface, self._text, 0.35), self._accent, glow))
        painter.drawRoundedRect(bar, 3, 3)

        # The reading area: corner marks and the contactless symbol, printed on the top face.
        painter.save()
        painter.setTransform(plane, True)
        mark = _mix(line, self._accent, 0.35 + 0.65 * glow)
        painter.setPen(QPen(mark, 4, c=Qt.PenCapStyle.RoundCap, j=Qt.PenJoinStyle.RoundJoin))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        _draw_corner_marks(painter, PAD, 26)
        painter.setPen(QPen(_alpha(self._accent, 0.75), 6, c=Qt.PenCapStyle.RoundCap))
        _draw_waves(painter, QPointF(-18, 0), 3, 16)
        painter.restore()

    def _draw_shadow(self, painter: QPainter, descent: float, opacity: float) -> None:
        """The card's shadow on the reader: wide and faint while high, crisp as it lands."""
        if self._is_dark():
            return  # a shadow on black is invisible; the outlines carry the shape instead
        painter.save()
        painter.setTransform(self._reader.plane, True)
        painter.setPen(Qt.PenStyle.NoPen)
        spread = 30 * (1 - descent)
        for step in range(4):
            grow = spread + step * 3
            painter.setBrush(_alpha(self._text, opacity * (0.008 + 0.035 * descent)))
            painter.drawRoundedRect(CARD.adjusted(-grow, -grow, grow, grow), 10 + grow, 10 + grow)
        painter.restore()

    def _draw_ripples(self, painter: QPainter, reading: float) -> None:
        """Waves spreading from the card over the reader's top face, two at a time."""
        painter.save()
        painter.setTransform(self._reader.plane, True)
        painter.setClipPath(_rounded(TOP_FACE, CORNER))  # the waves stay on the reader
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for offset in (0.0, 0.5):
            wave = (reading * 2 + offset) % 1.0
            grow = 4 + 44 * wave
            fade = (1 - wave) * min(1.0, reading * 6, (1 - reading) * 6)
            painter.setPen(QPen(_alpha(self._accent, 0.8 * fade), 5 - 3 * wave))
            painter.drawRoundedRect(CARD.adjusted(-grow, -grow, grow, grow), 10 + grow, 10 + grow)
        painter.restore()

    def _draw_card(self, painter: QPainter, descent: float, opacity: float, glow: float) -> None:
        center = CARD_START + (READER_CENTER - CARD_START) * descent
        tilt = START_TILT + (PLANE_TILT - START_TILT) * descent
        painter.save()
        painter.setOpacity(opacity)
        painter.setTransform(_tilted(center + QPointF(0, -3 * descent), tilt), True)
        dark = self._is_dark()
        card_color = _mix(self._surface, self._accent, 0.10 if dark else 0.07)
        ink = _mix(card_color, self._text, 0.7 if dark else 0.35)

        if glow > 0:  # the card lit from below while it is read
            painter.setPen(QPen(_alpha(self._accent, 0.35 * glow), 10))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(CARD, 10, 10)
        face = QLinearGradient(CARD.topLeft(), CARD.bottomRight())
        face.setColorAt(0, _mix(card_color, self._surface, 0.6))
        face.setColorAt(1, card_color)
        painter.setBrush(face)
        painter.setPen(QPen(self._line(), 2))
        painter.drawRoundedRect(CARD, 9, 9)

        # Portrait on the right, as on the photo side of a resident ID card.
        photo = QRectF(30, -38, 42, 54)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_mix(card_color, self._accent, 0.22))
        painter.drawRoundedRect(photo, 4, 4)
        painter.save()
        painter.setClipRect(photo)
        painter.setBrush(_mix(card_color, self._accent, 0.55))
        painter.drawEllipse(QPointF(photo.center().x(), photo.top() + 21), 10, 11)
        painter.drawEllipse(QPointF(photo.center().x(), photo.bottom() + 8), 19, 20)
        painter.restore()

        # Text lines (name, sex and ethnicity, birth date, address) and the long ID number.
        painter.setBrush(ink)
        for y, width in ((-36, 34), (-23, 56), (-10, 64), (3, 82), (13, 54)):
            painter.drawRoundedRect(QRectF(-72, y, width, 6), 3, 3)
        painter.setBrush(_mix(card_color, self._text, 0.7 if dark else 0.5))
        painter.drawRoundedRect(QRectF(-72, 32, 144, 8), 4, 4)
        painter.restore()


class _ReaderShape(NamedTuple):
    """The reader in scene coordinates."""

    plane: QTransform  # maps shapes onto its top face
    top: QPainterPath  # the top face
    body: QPainterPath  # the whole outline: top and front faces
    near: float  # the height of the top face's near edge, where the front face begins


def _reader_shape() -> _ReaderShape:
    plane = _tilted(READER_CENTER, PLANE_TILT)
    top = plane.map(_rounded(TOP_FACE, CORNER))
    # The device is the top face pushed down by its thickness: the outline of both, joined at
    # the widest points (where the near corners start to round).
    joint = plane.map(QPointF(TOP_FACE.left(), TOP_FACE.bottom() - CORNER))
    width = plane.map(QPointF(TOP_FACE.right(), TOP_FACE.bottom() - CORNER)).x() - joint.x()
    sides = QPainterPath()
    sides.addRect(QRectF(joint.x(), joint.y(), width, FRONT_DEPTH))
    body = top.united(top.translated(0, FRONT_DEPTH)).united(sides)
    near = plane.map(QPointF(0, TOP_FACE.bottom())).y()
    return _ReaderShape(plane, top, body, near)


def _rounded(rect: QRectF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(rect, radius, radius)
    return path


def _draw_corner_marks(painter: QPainter, rect: QRectF, length: float) -> None:
    """Four L-shaped corner marks: "put the card inside here"."""
    for corner, dx, dy in (
        (rect.topLeft(), 1, 1),
        (rect.topRight(), -1, 1),
        (rect.bottomLeft(), 1, -1),
        (rect.bottomRight(), -1, -1),
    ):
        path = QPainterPath(corner + QPointF(0, dy * length))
        path.lineTo(corner)
        path.lineTo(corner + QPointF(dx * length, 0))
        painter.drawPath(path)


def _draw_waves(painter: QPainter, origin: QPointF, count: int, spacing: float) -> None:
    """The contactless symbol: arcs opening to the right of ``origin``."""
    for index in range(1, count + 1):
        radius = spacing * index
        box = QRectF(origin.x() - radius, origin.y() - radius, radius * 2, radius * 2)
        painter.drawArc(box, -50 * 16, 100 * 16)
