"""The face check page of the second-factor screen: the camera's picture as a mirror with an
oval to put the face in, one instruction at a time, and after an attempt that did not pass,
what to change, the attempts left and "try again". Another way is always one touch away.

The picture comes from a function the window hands over (``set_preview_source``): polled only
while this page shows and the camera is meant to be on, never kept beyond the one picture on
screen, and dropped as soon as the camera is off. The page imports no camera or face engine:
only the names of the prompts and failures (``kiosk.face.liveness``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QHideEvent,
    QImage,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from kiosk.face.vocabulary import FailReason, Prompt
from kiosk.flow import session
from kiosk.i18n import QT_TRANSLATE_NOOP
from ui.i18n import translate, translated
from ui.screens import base

log = logging.getLogger(__name__)

Stage = session.FaceStage
if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Frame = npt.NDArray[np.uint8]
PreviewSource = Callable[[], "Frame | None"]

PREVIEW_INTERVAL_MS = 66  # about 15 pictures a second: smooth enough to follow a turn
CAMERA_STAGES = frozenset({Stage.PREPARING, Stage.LOOKING})  # the camera is (being) turned on
CAMERA_MARK = "●  "  # the red dot before "camera on"
HINT_MARK = "•  "
_TURNS = (Prompt.TURN_LEFT, Prompt.TURN_RIGHT)
PICTURE_ASPECT = 4 / 3  # the frame's shape until the camera gives one; the page's too
# The oval: a head (hair and chin) at arm's length from a kiosk's camera, a little above the
# middle, where eyes looking at the screen under the camera put it.
OVAL_HEIGHT = 0.64  # of the picture's height
OVAL_ASPECT = 0.75  # width to height, a face's
OVAL_CENTRE = 0.47  # from the picture's top, of its height

# What to change after a failed attempt, by ``Step.face_failure`` (a liveness ``FailReason``,
# or "score": liveness passed, the platform did not accept the comparison).
_HINTS: dict[str, tuple[str, ...]] = {
    FailReason.NO_FACE: (
        QT_TRANSLATE_NOOP("FaceCheckPage", "请站在屏幕正前方，把脸放进椭圆框里。"),
        QT_TRANSLATE_NOOP("FaceCheckPage", "请不要让帽子、口罩或手挡住脸。"),
        QT_TRANSLATE_NOOP("FaceCheckPage", "光线太暗时，请站到亮一点的地方。"),
    ),
    FailReason.SEVERAL_FACES: (
        QT_TRANSLATE_NOOP("FaceCheckPage", "镜头里只能有您一个人，请身边的人稍微让开。"),
        QT_TRANSLATE_NOOP("FaceCheckPage", "请站在屏幕正前方，离屏幕近一点。"),
    ),
    FailReason.DIFFERENT_FACE: (
        QT_TRANSLATE_NOOP("FaceCheckPage", "请您本人从头做到尾，中途不要换人。"),
        QT_TRANSLATE_NOOP("FaceCheckPage", "镜头里只能有您一个人，请身边的人稍微让开。"),
    ),
    FailReason.FROZEN: (
        QT_TRANSLATE_NOOP("FaceCheckPage", "请您本人正对摄像头，按提示慢慢转头。"),
        QT_TRANSLATE_NOOP("FaceCheckPage", "画面一直不动时，请稍等片刻再试，或改用其他方式。"),
    ),
    FailReason.TOO_SLOW: (
        QT_TRANSLATE_NOOP("FaceCheckPage", "看到提示后再转头，转到一侧停一下。"),
        QT_TRANSLATE_NOOP("FaceCheckPage", "转头的幅度可以稍大一些。"),
        QT_TRANSLATE_NOOP("FaceCheckPage", "请不要让帽子、口罩或手挡住脸。"),
    ),
    FailReason.WRONG_DIRECTION: (
        QT_TRANSLATE_NOOP("FaceCheckPage", "向左是向您自己的左手边转，屏幕上的画面像镜子一样。"),
        QT_TRANSLATE_NOOP("FaceCheckPage", "一次只转一边，看清提示再转。"),
    ),
    "score": (
        QT_TRANSLATE_NOOP("FaceCheckPage", "请摘下眼镜和帽子，露出整张脸。"),
        QT_TRANSLATE_NOOP("FaceCheckPage", "请站到光线充足的地方，避免背对窗户或强光。"),
        QT_TRANSLATE_NOOP("FaceCheckPage", "请正对摄像头，保持不动，直到出现下一个提示。"),
    ),
}
# A failure without hints of its own (an attempt cut short, a reason added later).
_GENERAL_HINTS = (
    QT_TRANSLATE_NOOP("FaceCheckPage", "请站在屏幕正前方，把脸放进椭圆框里。"),
    QT_TRANSLATE_NOOP("FaceCheckPage", "请按屏幕上的提示慢慢转头。"),
)


def _prompt(value: str | None) -> Prompt | None:
    """``Step.face_prompt`` as a ``Prompt`` (None: none, or one this page does not know)."""
    try:
        return Prompt(value) if value is not None else None
    except ValueError:
        return None


def hints_for(failure: str | None) -> tuple[str, ...]:
    """The hints (source texts, context ``FaceCheckPage``) after a failure of ``failure``."""
    return _HINTS.get(failure or "", _GENERAL_HINTS)


class FacePreview(QWidget):
    """The camera's picture, mirrored so a turn to the left moves left on screen, with an oval
    to put the face in and, while a turn is asked, an arrow on the side to turn to.

    It keeps one picture, the one on screen, as its own copy (never the camera's array);
    ``clear`` drops it. Without a picture it shows a dark frame with the oval.
    """

    def __init__(self) -> None:
        super().__init__()
        self._picture: QImage | None = None
        self._turn: Prompt | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)

    def sizeHint(self) -> QSize:
        return QSize(640, 480)

    def show_frame(self, frame: Frame) -> None:
        """Show ``frame`` (BGR, height x width x 3, as the camera sees it) mirrored."""
        import numpy as np  # loaded with the first picture, not when the screens are built

        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8 or not frame.size:
            log.warning("camera preview of shape %s, %s ignored", frame.shape, frame.dtype)
            self.clear()
            return
        mirrored = np.ascontiguousarray(frame[:, ::-1])
        height, width = mirrored.shape[:2]
        view = QImage(
            mirrored.data, width, height, mirrored.strides[0], QImage.Format.Format_BGR888
        )
        self._picture = view.copy()  # its own pixels: the array is not referred to any more
        del view, mirrored
        self.update()

    def clear(self) -> None:
        """No picture: the camera is off."""
        if self._picture is not None:
            self._picture = None
            self.update()

    def has_picture(self) -> bool:
        return self._picture is not None

    def turn(self) -> Prompt | None:
        """The way the arrow points (None: no arrow)."""
        return self._turn

    def set_turn(self, prompt: Prompt | None) -> None:
        """Point the arrow the way ``prompt`` asks the resident to turn (no turn: no arrow)."""
        turn = prompt if prompt in _TURNS else None
        if turn is not self._turn:
            self._turn = turn
            self.update()

    def picture_rect(self) -> QRect:
        """Where the picture is drawn: as large as fits, in its own proportions, centred."""
        aspect = (
            self._picture.width() / self._picture.height()
            if self._picture is not None and self._picture.height() > 0
            else PICTURE_ASPECT
        )
        width = min(self.width(), round(self.height() * aspect))
        height = min(self.height(), round(width / aspect))
        return QRect((self.width() - width) // 2, (self.height() - height) // 2, width, height)

    def oval_rect(self) -> QRectF:
        """The oval the face goes in."""
        picture = QRectF(self.picture_rect())
        height = picture.height() * OVAL_HEIGHT
        width = min(height * OVAL_ASPECT, picture.width() * 0.8)
        centre_y = picture.top() + picture.height() * OVAL_CENTRE
        return QRectF(picture.center().x() - width / 2, centre_y - height / 2, width, height)

    def paintEvent(self, event: QPaintEvent) -> None:
        """The picture (or a dark frame), the room around the oval dimmed, the oval, the arrow."""
        del event
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        picture = self.picture_rect()
        painter.fillRect(picture, QColor("#202428"))
        if self._picture is not None:
            painter.drawImage(picture, self._picture)
        oval = self.oval_rect()
        around = QPainterPath()
        around.addRect(QRectF(picture))
        inside = QPainterPath()
        inside.addEllipse(oval)
        painter.fillPath(around.subtracted(inside), QColor(0, 0, 0, 110))
        # A dark edge under a white line: the oval shows on light walls and dark coats alike.
        for colour, width in ((QColor(0, 0, 0, 150), 12), (QColor("#ffffff"), 6)):
            painter.setPen(QPen(colour, width))
            painter.drawEllipse(oval)
        if self._turn is not None:
            self._paint_arrow(painter, oval, left=self._turn is Prompt.TURN_LEFT)
        painter.end()

    def _paint_arrow(self, painter: QPainter, oval: QRectF, *, left: bool) -> None:
        """A chevron beside the oval. The picture is a mirror: the resident's own left is the
        screen's left."""
        size = oval.height() * 0.16
        gap = size * 0.6
        tip_x = oval.left() - gap - size if left else oval.right() + gap + size
        back_x = tip_x + size if left else tip_x - size
        middle = oval.center().y()
        points = [
            QPointF(back_x, middle - size),
            QPointF(tip_x, middle),
            QPointF(back_x, middle + size),
        ]
        for colour, width in ((QColor(0, 0, 0, 150), size * 0.42), (QColor("#ffffff"), size * 0.3)):
            pen = QPen(colour, width)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            painter.drawPolyline(points)


class FaceCheckPage(QWidget):
    """Shown while ``state.step.factor`` is ``Factor.FACE`` past the notice (``FaceStage``
    PREPARING, LOOKING, CHECKING, RETRY).

    Signals:
        retry_requested: "再试一次" pressed after an attempt that did not pass.
        declined: "改用其他方式" pressed (at any stage but while the outcome is checked).
    """

    retry_requested = Signal()
    declined = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.row = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(48)
        self.preview = FacePreview()
        self.row.addWidget(self.preview, 3)

        self.side_panel = QWidget()
        side = QVBoxLayout(self.side_panel)
        side.setContentsMargins(0, 0, 0, 0)
        side.setSpacing(20)
        # Red like a recording light: seen at a glance, whatever the text says.
        self.camera_sign = base.label("", "Warning")
        side.addWidget(self.camera_sign)
        self.message_title = base.label("", "HeadingWarning")
        side.addWidget(self.message_title)
        self.message = base.label("", "Warning")
        side.addWidget(self.message)
        self.instruction = base.label("", "Title")
        side.addWidget(self.instruction)
        self.detail = base.label("")
        side.addWidget(self.detail)
        self.countdown = base.label("", "Muted")
        side.addWidget(self.countdown)
        self.hints_heading = base.label("", "Advice")
        side.addWidget(self.hints_heading)
        self.hints = base.label("")
        side.addWidget(self.hints)
        self.attempts = base.label("", "Advice")
        side.addWidget(self.attempts)
        side.addStretch(1)
        self.other_way_button = base.button("")
        self.other_way_button.clicked.connect(self.declined)
        self.retry_button = base.button("", primary=True)
        self.retry_button.clicked.connect(self.retry_requested)
        side.addLayout(base.button_row(self.other_way_button, self.retry_button))
        self.row.addWidget(self.side_panel, 2)

        self._source: PreviewSource | None = None
        self._failed_source = False  # a source that raised is logged once per failure run
        self._step = session.Step()
        self._on_page = False
        # The picture: polled while the page shows and the camera is meant to be on.
        self.preview_timer = QTimer(self)
        self.preview_timer.setInterval(PREVIEW_INTERVAL_MS)
        self.preview_timer.timeout.connect(self.poll_preview)
        # The attempt's time limit, counted down on screen from the first instruction (when
        # the check starts timing the resident); display only: the check itself decides.
        self._rules = session.Rules()
        self._elder_mode = False
        self._attempts_left = 0
        self._counting = False  # this attempt's countdown started (it may have run out)
        self.seconds_left = 0
        self.countdown_timer = QTimer(self)
        self.countdown_timer.setInterval(1000)
        self.countdown_timer.timeout.connect(self.tick_countdown)
        self.retranslate()

    # -------------------------------------------------------------- set up by the window
    def set_preview_source(self, source: PreviewSource | None) -> None:
        """Where the picture comes from: a function giving the camera's latest frame (BGR,
        unmirrored) or None while the camera is off. None: no preview on this kiosk."""
        self._source = source
        self._follow_camera()

    def set_rules(self, rules: session.Rules) -> None:
        """The rules the session runs by: the countdown shows the attempt's limit
        (``face_attempt_s``, ``elder_factor`` times longer in large text)."""
        self._rules = rules

    def attempt_limit_s(self) -> int:
        """One attempt's limit in seconds, as ``session`` sets it for the check."""
        return round(self._rules.face_attempt_for(self._elder_mode))

    # -------------------------------------------------------------- texts
    def retranslate(self) -> None:
        self.camera_sign.setText(CAMERA_MARK + translate("FaceCheckPage", "摄像头已开启"))
        self.preview.setAccessibleName(translate("FaceCheckPage", "摄像头画面，像镜子一样"))
        self.hints_heading.setText(translate("FaceCheckPage", "可以这样试试："))
        self.other_way_button.setText(translate("FaceCheckPage", "改用其他方式"))
        self.retry_button.setText(translate("FaceCheckPage", "再试一次"))
        self._show_texts()

    def _show_texts(self) -> None:
        """The texts that follow the step: the instruction, what the kiosk waits for, the
        failure's message and hints, the attempts left."""
        step = self._step
        stage = step.face_stage if self._on_page else None
        instruction, detail = self._instruction(stage, step.face_prompt)
        self.instruction.setText(instruction)
        self.detail.setText(detail)
        retry = stage is Stage.RETRY
        message = step.message if retry else None
        if message is not None:
            # The attempts left have a line of their own below the hints.
            message = dataclasses.replace(message, attempts_left=None)
        title, body = base.message_texts(message)
        self.message_title.setText(title)
        self.message.setText(body)
        hints = hints_for(step.face_failure) if retry else ()
        self.hints.setText("\n".join(HINT_MARK + translated("FaceCheckPage", h) for h in hints))
        self.attempts.setText(
            translate("FaceCheckPage", "还可以再试 %1 次。").replace("%1", str(self._attempts_left))
            if retry
            else ""
        )
        self._show_countdown()
        for widget in (
            self.message_title,
            self.message,
            self.instruction,
            self.detail,
            self.hints,
            self.attempts,
        ):
            widget.setVisible(bool(widget.text()))
        self.hints_heading.setVisible(retry)

    @staticmethod
    def _instruction(stage: Stage | None, prompt: str | None) -> tuple[str, str]:
        """One instruction, and what the kiosk waits for meanwhile."""
        if stage is Stage.PREPARING:
            return (
                translate("FaceCheckPage", "正在准备摄像头…"),
                translate("FaceCheckPage", "请稍候，不要取出身份证。"),
            )
        if stage is Stage.LOOKING:
            turn_detail = translate("FaceCheckPage", "转到一侧后停一下，等屏幕出现下一个提示。")
            if _prompt(prompt) is Prompt.TURN_LEFT:
                return translate("FaceCheckPage", "请慢慢向左转头"), turn_detail
            if _prompt(prompt) is Prompt.TURN_RIGHT:
                return translate("FaceCheckPage", "请慢慢向右转头"), turn_detail
            return (
                translate("FaceCheckPage", "请正对摄像头"),
                translate("FaceCheckPage", "把脸放进椭圆框里，看着屏幕，等下一个提示。"),
            )
        if stage is Stage.CHECKING:
            return (
                translate("FaceCheckPage", "正在核验…"),
                translate("FaceCheckPage", "正在等信用平台的核验结果，请稍候。"),
            )
        return "", ""

    # -------------------------------------------------------------- rendering
    def show_state(self, state: session.SessionState) -> None:
        """Show the stage of the face check; nothing of it stays once the session is gone."""
        identity = state.resident.identity
        self._on_page = (
            identity is not None
            and state.phase is session.Phase.SECOND_FACTOR
            and state.step.factor is session.Factor.FACE
            and state.step.face_stage is not Stage.CONSENT
        )
        self._step = state.step if self._on_page else session.Step()
        self._attempts_left = state.resident.face_attempts_left if self._on_page else 0
        self._elder_mode = state.resident.elder_mode
        stage = self._step.face_stage if self._on_page else None
        camera = stage in CAMERA_STAGES
        self.camera_sign.setVisible(camera)
        self.preview.setVisible(stage is not Stage.RETRY)
        self.preview.set_turn(_prompt(self._step.face_prompt) if stage is Stage.LOOKING else None)
        retry = stage is Stage.RETRY
        self.retry_button.setVisible(retry and self._attempts_left > 0)
        self.retry_button.setEnabled(not self._step.busy)
        # While the outcome is checked the resident's choice would change nothing.
        self.other_way_button.setEnabled(self._step.pending is not session.Pending.FACE_CHECK)
        self._follow_countdown(stage is Stage.LOOKING)
        self._follow_camera()
        self._show_texts()

    # -------------------------------------------------------------- the picture
    def _camera_wanted(self) -> bool:
        return self._on_page and self._step.face_stage in CAMERA_STAGES

    def _follow_camera(self) -> None:
        """Poll the picture only while it is on screen and the camera is meant to be on;
        otherwise stop and drop the picture."""
        if self._source is not None and self._camera_wanted() and self.isVisible():
            if not self.preview_timer.isActive():
                self.preview_timer.start()
            return
        self.preview_timer.stop()
        self.preview.clear()

    def poll_preview(self) -> None:
        """Show the camera's latest frame (none while it is off or still starting)."""
        if self._source is None or not self._camera_wanted():
            self.preview.clear()
            return
        frame: Frame | None = None
        try:
            frame = self._source()
        except Exception:
            if not self._failed_source:
                log.exception("camera preview failed")
            self._failed_source = True
        else:
            self._failed_source = False
        if frame is None:
            self.preview.clear()
        else:
            self.preview.show_frame(frame)
        del frame  # the frame lives on only as the preview's own copy

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._follow_camera()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._follow_camera()

    # -------------------------------------------------------------- countdown
    def _follow_countdown(self, looking: bool) -> None:
        """Start from the whole limit when the instructions begin; stop when they end."""
        if not looking:
            self.countdown_timer.stop()
            self._counting = False
            self.seconds_left = 0
            return
        if not self._counting:
            self._counting = True
            self.seconds_left = self.attempt_limit_s()
            self.countdown_timer.start()

    def tick_countdown(self) -> None:
        """One second of the attempt passed."""
        self.seconds_left = max(0, self.seconds_left - 1)
        if self.seconds_left == 0:
            self.countdown_timer.stop()
        self._show_countdown()

    def _show_countdown(self) -> None:
        looking = self._on_page and self._step.face_stage is Stage.LOOKING
        self.countdown.setText(
            translate("FaceCheckPage", "这次还剩 %1 秒").replace("%1", str(self.seconds_left))
            if looking
            else ""
        )
        self.countdown.setVisible(looking)

    # -------------------------------------------------------------- layout
    def resizeEvent(self, event: QResizeEvent) -> None:
        """The picture beside the instructions on a landscape panel, above them in portrait."""
        super().resizeEvent(event)
        portrait = self.width() < self.height()
        self.row.setDirection(
            QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight
        )
        # The picture takes the room its proportions fill and no more, so the instructions sit
        # right beside (or under) it and get the rest; its "confirm" buttons at the far end.
        unlimited = 16777215  # Qt's QWIDGETSIZE_MAX
        if portrait:
            self.preview.setMaximumSize(unlimited, round(self.width() / PICTURE_ASPECT))
        else:
            self.preview.setMaximumSize(round(self.height() * PICTURE_ASPECT), unlimited)
        self.row.setStretchFactor(self.side_panel, 0 if portrait else 2)
