"""The head-turn liveness challenge: a pure state machine fed one frame's faces at a time.

Platform-api §3b ``head_turn``: the kiosk asks the resident to turn the head left and right,
in an order it picks at random, and judges from the landmarks over several frames that the
head turned as asked and stayed the same face. The steps are: face the camera, turn one way,
turn the other way, face the camera again. A still picture never turns; a frozen video
frame repeats its landmarks exactly; a recording plays a fixed order, and turning the wrong
way fails at once, so it passes one time in two at best (and never the comparison with the
card unless it shows the card's holder).

Directions are the resident's own: ``Direction.LEFT`` is the resident's left, which in the
camera's unmirrored frame moves the nose towards the frame's right (``yaw_ratio`` > 0) and on
the mirrored preview towards the screen's left. Prompts say the same: ``turn_left`` means
"turn your head to your left".

No OpenCV here: tests feed ``Face`` values and feature vectors made up by hand. The caller
supplies features lazily (``observe(..., features=...)``) so the challenge decides which face
of which frame is worth embedding. Thresholds are named below, each with why it is what it is.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from kiosk.face.landmarks import Face, yaw_ratio
from kiosk.face.vocabulary import Direction, FailReason, Prompt, Status

FeatureFn = Callable[[Face], npt.NDArray[np.floating[Any]]]

# Facing the camera: |yaw| at most this (a real head ~9°). Kiosk cameras sit above the
# screen, not always on its axis, and frontal photos read up to ~0.06 (the astronaut's).
STRAIGHT_YAW_MAX = 0.10
# Turned: |yaw| at least this in the asked direction (a real head ~14°): a small turn an
# elderly resident makes without strain, well clear of landmark jitter at rest (±0.01 on
# the simulator's noisy frames). A flat photo turned by 45° at 50 cm moves the ratio by
# about 0.02 (its nose has no depth). The simulator's synthetic turns hold at 0.19-0.26.
TURN_YAW_MIN = 0.15
# A pose counts once held for this many consecutive frames with one face (~0.2-0.3 s at
# 10-15 fps): one noisy landmark frame is neither a turn nor a wrong turn.
HOLD_FRAMES = 3
# Frozen: the box and landmarks repeat within this many pixels. A decoded identical frame
# gives bit-identical detections; a live sensor's noise moves them by tenths of a pixel.
FROZEN_EPSILON_PX = 1e-3
# ... for this many consecutive frame pairs (five identical frames, well under a second).
FROZEN_REPEATS = 4
# Same face: cosine of each frame's features with the first frames' at least this. SFace
# gives 0.1-0.26 between different people (ecosystem-notes §9) and 0.55-0.72 between a
# frontal photo and its synthetic 45° turns (tools/bench_face); real turned heads are not
# measured yet. The card comparison decides identity: this only catches a swap of person
# (or of photo) during the challenge.
SAME_FACE_MIN = 0.30
DRIFT_FRAMES = 2  # consecutive frames below SAME_FACE_MIN that make it a different face
ANCHOR_FRAMES = 3  # the first frames with one face whose features are "the" face
# Faces narrower than this share of the largest one are people further back in the hall's
# queue: ignored, or nobody could be checked while others wait behind.
BYSTANDER_WIDTH_RATIO = 0.5
# No face for this long fails (a turned face may drop out of detection for a moment, the
# resident may lean back): past it they left or covered the lens.
NO_FACE_LIMIT_S = 4.0
# Two comparable faces for this long fail: whose turn it was cannot be told apart.
SEVERAL_FACES_LIMIT_S = 3.0
# The whole challenge: a quick resident needs ~5 s; spoken, one-action prompts for elderly
# residents take longer, and a retry costs an attempt of the platform's few.
CHALLENGE_TIMEOUT_S = 30.0


_TURN_PROMPT = {Direction.LEFT: Prompt.TURN_LEFT, Direction.RIGHT: Prompt.TURN_RIGHT}


@dataclasses.dataclass(frozen=True)
class Progress:
    """The verdict after one frame.

    Attributes:
        status: running, passed or failed.
        prompt: what to ask now (after a verdict: the last prompt asked).
        reason: why it failed; None unless failed.
        face: the face judged in this frame, if one was (on a pass: the face of the frame
            that completed the challenge, the one to compare with the card photo).
        yaw: that face's ``yaw_ratio``.
        steps_done: steps completed of ``steps_total`` (for a progress indicator).
        steps_total: 4: face the camera, turn, turn the other way, face the camera.
    """

    status: Status
    prompt: Prompt
    reason: FailReason | None = None
    face: Face | None = None
    yaw: float | None = None
    steps_done: int = 0
    steps_total: int = 4

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def finished(self) -> bool:
        return self.status is not Status.RUNNING


def random_order(rng: random.Random | None = None) -> tuple[Direction, Direction]:
    """Left then right, or right then left, from the system's random source by default."""
    first = (rng or random.SystemRandom()).choice((Direction.LEFT, Direction.RIGHT))
    return (first, Direction.RIGHT if first is Direction.LEFT else Direction.LEFT)


def _unit(vector: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
    flat = np.asarray(vector, dtype=np.float64).reshape(-1)
    norm = float(np.linalg.norm(flat))
    return flat / norm if norm > 0 else flat


class HeadTurnChallenge:
    """One head-turn run: feed ``observe`` every frame until ``Progress.finished``.

    Frames with no face, or with several comparable faces, make no progress (and fail after
    their time limits); frames are judged by their own timestamps, so the caller's speed does
    not matter, only the camera's clock.
    """

    def __init__(
        self,
        order: tuple[Direction, Direction],
        *,
        timeout_s: float = CHALLENGE_TIMEOUT_S,
        no_face_limit_s: float = NO_FACE_LIMIT_S,
        several_faces_limit_s: float = SEVERAL_FACES_LIMIT_S,
    ) -> None:
        if set(order) != {Direction.LEFT, Direction.RIGHT} or len(order) != 2:
            raise ValueError(f"order is left and right, one each, got {order!r}")
        self.order = order
        self._timeout_s = timeout_s
        self._no_face_limit_s = no_face_limit_s
        self._several_limit_s = several_faces_limit_s
        # The steps: None = face the camera, a direction = turn that way.
        self._steps: tuple[Direction | None, ...] = (None, order[0], order[1], None)
        self._index = 0
        self._hold = 0
        self._wrong = 0
        self._back_from_first_turn = False
        self._started: float | None = None
        self._no_face_since: float | None = None
        self._several_since: float | None = None
        self._previous_geometry: tuple[float, ...] | None = None
        self._repeats = 0
        self._anchors: list[npt.NDArray[np.float64]] = []
        self._drift = 0
        self._verdict: Progress | None = None

    @property
    def prompt(self) -> Prompt:
        """What to ask now."""
        if self._index >= len(self._steps):
            return Prompt.FACE_STRAIGHT
        step = self._steps[self._index]
        return Prompt.FACE_STRAIGHT if step is None else _TURN_PROMPT[step]

    @property
    def verdict(self) -> Progress | None:
        """The final progress once passed or failed, else None."""
        return self._verdict

    def forget(self) -> None:
        """Drop the features kept of the first frames (done on any verdict, too)."""
        self._anchors.clear()

    def observe(
        self, faces: Sequence[Face], timestamp: float, features: FeatureFn | None = None
    ) -> Progress:
        """Judge one frame: its detected faces and when it was captured (seconds, monotonic).

        ``features`` returns the recogniser's features of a face of this frame; without it
        the different-face check is skipped (tests of the turns alone).
        """
        if self._verdict is not None:
            return self._verdict
        if self._started is None:
            self._started = timestamp
        if timestamp - self._started > self._timeout_s:
            return self._fail(FailReason.TOO_SLOW)
        main = self._main_faces(faces)
        if len(main) != 1:
            return self._without_one_face(len(main), timestamp)
        self._no_face_since = self._several_since = None
        face = main[0]
        if self._is_frozen(face):
            return self._fail(FailReason.FROZEN, face)
        if features is not None and self._is_other_face(features(face)):
            return self._fail(FailReason.DIFFERENT_FACE, face)
        yaw = yaw_ratio(face)
        if yaw is not None and self._advance(yaw) is not None:
            return self._fail(FailReason.WRONG_DIRECTION, face)
        if self._index >= len(self._steps):
            self._verdict = self._progress(Status.PASSED, face=face, yaw=yaw)
            self.forget()
            return self._verdict
        return self._progress(Status.RUNNING, face=face, yaw=yaw)

    # ------------------------------------------------------------------ frame checks

    @staticmethod
    def _main_faces(faces: Sequence[Face]) -> list[Face]:
        if not faces:
            return []
        widest = max(face.width for face in faces)
        return [face for face in faces if face.width >= BYSTANDER_WIDTH_RATIO * widest]

    def _without_one_face(self, count: int, timestamp: float) -> Progress:
        self._previous_geometry = None  # a gap breaks a run of identical frames
        self._repeats = 0
        if count == 0:
            self._several_since = None
            if self._no_face_since is None:
                self._no_face_since = timestamp
            if timestamp - self._no_face_since >= self._no_face_limit_s:
                return self._fail(FailReason.NO_FACE)
        else:
            self._no_face_since = None
            if self._several_since is None:
                self._several_since = timestamp
            if timestamp - self._several_since >= self._several_limit_s:
                return self._fail(FailReason.SEVERAL_FACES)
        return self._progress(Status.RUNNING)

    def _is_frozen(self, face: Face) -> bool:
        geometry = face.geometry()
        previous, self._previous_geometry = self._previous_geometry, geometry
        if previous is not None and all(
            abs(a - b) <= FROZEN_EPSILON_PX for a, b in zip(geometry, previous, strict=True)
        ):
            self._repeats += 1
        else:
            self._repeats = 0
        return self._repeats >= FROZEN_REPEATS

    def _is_other_face(self, vector: npt.NDArray[np.floating[Any]]) -> bool:
        unit = _unit(vector)
        if self._anchors:
            anchor = _unit(np.mean(self._anchors, axis=0))
            similar = float(np.dot(anchor, unit)) >= SAME_FACE_MIN
            self._drift = 0 if similar else self._drift + 1
            if self._drift >= DRIFT_FRAMES:
                return True
            if not similar:
                return False
        if len(self._anchors) < ANCHOR_FRAMES:
            self._anchors.append(unit)
        return False

    # ------------------------------------------------------------------ the steps

    def _advance(self, yaw: float) -> FailReason | None:
        """Count this frame's pose towards the current step; a reason if it fails the run."""
        step = self._steps[self._index]
        if step is None:
            self._hold = self._hold + 1 if abs(yaw) <= STRAIGHT_YAW_MAX else 0
        else:
            towards = yaw if step is Direction.LEFT else -yaw  # > 0: the asked way
            if self._index == 2 and not self._back_from_first_turn:
                # Still turned the first way: that is the last step, not a wrong turn.
                if towards <= -STRAIGHT_YAW_MAX:
                    return None
                self._back_from_first_turn = True
            if towards >= TURN_YAW_MIN:
                self._hold, self._wrong = self._hold + 1, 0
            elif towards <= -TURN_YAW_MIN:
                self._hold, self._wrong = 0, self._wrong + 1
                if self._wrong >= HOLD_FRAMES:
                    return FailReason.WRONG_DIRECTION
            else:
                self._hold = self._wrong = 0
        if self._hold >= HOLD_FRAMES:
            self._index += 1
            self._hold = self._wrong = 0
        return None

    # ------------------------------------------------------------------ verdicts

    def _progress(
        self,
        status: Status,
        face: Face | None = None,
        yaw: float | None = None,
        reason: FailReason | None = None,
    ) -> Progress:
        return Progress(
            status=status,
            prompt=self.prompt,
            reason=reason,
            face=face,
            yaw=yaw,
            steps_done=min(self._index, len(self._steps)),
            steps_total=len(self._steps),
        )

    def _fail(self, reason: FailReason, face: Face | None = None) -> Progress:
        self._verdict = self._progress(Status.FAILED, face=face, reason=reason)
        self.forget()
        return self._verdict
