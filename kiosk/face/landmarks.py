"""What the detector says about one face, as plain numbers (no OpenCV, no pixels).

Kept apart from the engine so the liveness challenge can be driven in tests with made-up
landmarks. Coordinates are pixels of the camera's own, unmirrored frame.

Sides: YuNet names the eyes and mouth corners after the person's own sides, so the person's
right eye is on the left of an unmirrored frame (the camera faces them). ``yaw_ratio`` is
positive when the nose moves towards the frame's right, which is the person turning to
**their own left**; the mirrored preview on the screen shows that as a move to the left.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

Point = tuple[float, float]

ROW_LENGTH = 15  # YuNet's row: box (4), five landmarks (10), score (1)


@dataclasses.dataclass(frozen=True)
class Face:
    """One detected face: box, five landmarks and the detector's confidence (0..1)."""

    x: float
    y: float
    width: float
    height: float
    right_eye: Point  # the person's right eye: left in the unmirrored frame
    left_eye: Point
    nose: Point  # nose tip
    mouth_right: Point
    mouth_left: Point
    score: float

    @classmethod
    def from_row(cls, row: Sequence[float]) -> Face:
        """A face from one row of ``cv2.FaceDetectorYN.detect``'s output."""
        if len(row) != ROW_LENGTH:
            raise ValueError(f"a face row has {ROW_LENGTH} numbers, got {len(row)}")
        v = [float(n) for n in row]
        return cls(
            x=v[0], y=v[1], width=v[2], height=v[3],
            right_eye=(v[4], v[5]), left_eye=(v[6], v[7]), nose=(v[8], v[9]),
            mouth_right=(v[10], v[11]), mouth_left=(v[12], v[13]), score=v[14],
        )  # fmt: skip

    def as_row(self) -> tuple[float, ...]:
        """The 15 numbers in YuNet's order (what ``FaceRecognizerSF.alignCrop`` takes)."""
        return (
            self.x, self.y, self.width, self.height,
            *self.right_eye, *self.left_eye, *self.nose, *self.mouth_right, *self.mouth_left,
            self.score,
        )  # fmt: skip

    def geometry(self) -> tuple[float, ...]:
        """Box and landmarks without the score: what a frozen frame repeats exactly."""
        return self.as_row()[:-1]


def eye_distance(face: Face) -> float:
    """Distance between the eyes in pixels: the face's own scale."""
    return math.dist(face.right_eye, face.left_eye)


def yaw_ratio(face: Face) -> float | None:
    """How far the head is turned: nose offset from the eyes' midpoint / eye distance.

    The offset is measured along the line through the eyes, so a tilted head (roll) does
    not read as a turn. Positive: turned to the person's own left; negative: to their right;
    about 0 facing the camera. A real head turned by θ gives roughly
    ``nose depth · sin θ / (eye distance · cos θ)``, about 0.11 at 10°, 0.21 at 20°, 0.32 at
    30° (nose tip ~3.5 cm in front of the eyes, eyes ~6.3 cm apart). A flat photo turned
    the same way barely moves it (its nose has no depth): see ``kiosk.face.liveness``.
    None when the eyes coincide (a degenerate detection).
    """
    span = eye_distance(face)
    if span < 1e-6:
        return None
    axis_x = (face.left_eye[0] - face.right_eye[0]) / span
    axis_y = (face.left_eye[1] - face.right_eye[1]) / span
    mid_x = (face.left_eye[0] + face.right_eye[0]) / 2
    mid_y = (face.left_eye[1] + face.right_eye[1]) / 2
    offset = (face.nose[0] - mid_x) * axis_x + (face.nose[1] - mid_y) * axis_y
    return offset / span
