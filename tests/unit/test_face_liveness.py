"""The head-turn challenge as a pure state machine: made-up landmarks and features, no OpenCV."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt
import pytest

from kiosk.face import liveness
from kiosk.face.landmarks import Face, yaw_ratio
from kiosk.face.liveness import HeadTurnChallenge, Progress, random_order
from kiosk.face.vocabulary import Direction, FailReason, Prompt, Status

LEFT, RIGHT = Direction.LEFT, Direction.RIGHT
FPS = 15.0
EYE_SPAN = 60.0
# Clear of the thresholds, as a real head gives: facing 0.0, turned ±0.25 (~25°).
TURNED = 0.25

_jitter = itertools.count()


def face(yaw: float = 0.0, *, x: float = 100.0, width: float = 100.0, still: bool = False) -> Face:
    """A face whose nose sits ``yaw`` eye-spans right of the eyes' midpoint (> 0: the
    person's own left); a sensor-like sub-pixel jitter unless ``still``."""
    wobble = 0.0 if still else 0.05 * (next(_jitter) % 7)
    eye_y = 100.0 + wobble
    right_eye = (x + 20.0 + wobble, eye_y)
    left_eye = (right_eye[0] + EYE_SPAN, eye_y)
    mid = (right_eye[0] + left_eye[0]) / 2
    return Face(
        x=x, y=60.0, width=width, height=120.0,
        right_eye=right_eye, left_eye=left_eye, nose=(mid + yaw * EYE_SPAN, 130.0),
        mouth_right=(mid - 20, 150.0), mouth_left=(mid + 20, 150.0), score=0.93,
    )  # fmt: skip


def turned(direction: Direction, amount: float = TURNED) -> float:
    return amount if direction is LEFT else -amount


class Feed:
    """Feeds frames at ``FPS`` on a made-up clock and records the prompts."""

    def __init__(self, challenge: HeadTurnChallenge) -> None:
        self.challenge = challenge
        self.t = 0.0
        self.prompts: list[Prompt] = []
        self.last: Progress | None = None

    def frames(
        self,
        faces: Sequence[Face] | None,
        count: int,
        features: liveness.FeatureFn | None = None,
    ) -> Progress:
        for _ in range(count):
            progress = self.challenge.observe(list(faces or ()), self.t, features)
            self.t += 1 / FPS
            if not self.prompts or self.prompts[-1] is not progress.prompt:
                self.prompts.append(progress.prompt)
            self.last = progress
            if progress.finished:
                break
        assert self.last is not None
        return self.last

    def pose(self, yaw: float, count: int, features: liveness.FeatureFn | None = None) -> Progress:
        """``count`` frames of one face at ``yaw``, each with its own jitter."""
        progress = None
        for _ in range(count):
            progress = self.frames([face(yaw)], 1, features)
            if progress.finished:
                break
        assert progress is not None
        return progress

    def perform(
        self, order: Sequence[Direction], features: liveness.FeatureFn | None = None
    ) -> Progress:
        """Face the camera, turn each way in ``order`` with a return between, face again."""
        self.pose(0.0, 5, features)
        for direction in order:
            self.pose(turned(direction) / 2, 2, features)  # on the way
            self.pose(turned(direction), 6, features)
            self.pose(0.0, 4, features)
        return self.pose(0.0, 5, features)


# ---------------------------------------------------------------- yaw


def test_yaw_is_positive_for_the_persons_own_left() -> None:
    """In the unmirrored frame the person's own left is the frame's right: nose moves right."""
    assert yaw_ratio(face(0.0)) == pytest.approx(0.0, abs=1e-9)
    assert yaw_ratio(face(0.2)) == pytest.approx(0.2)
    assert yaw_ratio(face(-0.2)) == pytest.approx(-0.2)


def test_yaw_ignores_a_tilted_head() -> None:
    """Roll is not yaw: the same face rotated in the image plane reads the same."""
    upright = face(0.2, still=True)
    angle = math.radians(25)

    def rotate(point: tuple[float, float]) -> tuple[float, float]:
        x, y = point[0] - 150, point[1] - 100
        return (150 + x * math.cos(angle) - y * math.sin(angle),
                100 + x * math.sin(angle) + y * math.cos(angle))  # fmt: skip

    tilted = Face(
        x=upright.x, y=upright.y, width=upright.width, height=upright.height,
        right_eye=rotate(upright.right_eye), left_eye=rotate(upright.left_eye),
        nose=rotate(upright.nose), mouth_right=rotate(upright.mouth_right),
        mouth_left=rotate(upright.mouth_left), score=upright.score,
    )  # fmt: skip
    assert yaw_ratio(tilted) == pytest.approx(0.2)


def test_a_face_row_round_trips_in_yunets_order() -> None:
    row = [float(n) for n in range(15)]
    parsed = Face.from_row(row)
    assert parsed.right_eye == (4.0, 5.0) and parsed.nose == (8.0, 9.0) and parsed.score == 14.0
    assert list(parsed.as_row()) == row
    with pytest.raises(ValueError, match="15"):
        Face.from_row(row[:-1])


# ---------------------------------------------------------------- passing


@pytest.mark.parametrize("order", [(LEFT, RIGHT), (RIGHT, LEFT)])
def test_turns_in_the_asked_order_pass(order: tuple[Direction, Direction]) -> None:
    feed = Feed(HeadTurnChallenge(order))
    result = feed.perform(order)
    assert result.status is Status.PASSED and result.reason is None
    turn_prompts = [liveness._TURN_PROMPT[d] for d in order]
    assert feed.prompts == [Prompt.FACE_STRAIGHT, *turn_prompts, Prompt.FACE_STRAIGHT]
    assert result.face is not None and result.yaw is not None
    assert abs(result.yaw) <= liveness.STRAIGHT_YAW_MAX, "the frame to compare faces the camera"
    assert result.steps_done == result.steps_total == 4


def test_the_verdict_stays_once_given() -> None:
    challenge = HeadTurnChallenge((LEFT, RIGHT))
    passed = Feed(challenge).perform((LEFT, RIGHT))
    assert challenge.verdict is passed
    assert challenge.observe([], 999.0) is passed


def test_a_turn_held_for_one_frame_does_not_count() -> None:
    feed = Feed(HeadTurnChallenge((LEFT, RIGHT)))
    feed.pose(0.0, 5)
    for _ in range(6):  # flicks: one frame turned, one back
        feed.pose(TURNED, liveness.HOLD_FRAMES - 2)
        feed.pose(0.0, 1)
    assert feed.challenge.prompt is Prompt.TURN_LEFT


def test_leaving_the_first_turn_is_not_a_wrong_turn() -> None:
    """Coming back from the first turn passes frames still turned that way: not a fault."""
    feed = Feed(HeadTurnChallenge((LEFT, RIGHT)))
    feed.pose(0.0, 5)
    feed.pose(TURNED, 6)
    assert feed.challenge.prompt is Prompt.TURN_RIGHT
    progress = feed.pose(TURNED, 8)  # still turned left, slow to come back
    assert progress.status is Status.RUNNING
    feed.pose(0.0, 2)
    feed.pose(-TURNED, 6)
    assert feed.pose(0.0, 5).passed


def test_a_small_face_behind_the_resident_is_ignored() -> None:
    """Someone further back in the queue does not count as a second face."""
    feed = Feed(HeadTurnChallenge((RIGHT, LEFT)))
    progress = None
    bystander = face(0.0, x=400.0, width=40.0)

    for yaw in (0.0, -TURNED, 0.0, TURNED, 0.0):
        for _ in range(6):
            progress = feed.frames([face(yaw), bystander], 1)
    assert progress is not None and progress.passed


def test_a_face_lost_for_a_moment_is_tolerated() -> None:
    feed = Feed(HeadTurnChallenge((LEFT, RIGHT)))
    feed.pose(0.0, 5)
    feed.frames([], int(FPS * (liveness.NO_FACE_LIMIT_S - 1)))
    assert feed.last is not None and feed.last.status is Status.RUNNING
    feed.pose(TURNED, 6)
    feed.pose(0.0, 4)
    feed.pose(-TURNED, 6)
    assert feed.pose(0.0, 5).passed


# ---------------------------------------------------------------- failing


@pytest.mark.parametrize("order", [(LEFT, RIGHT), (RIGHT, LEFT)])
def test_turning_the_wrong_way_first_fails(order: tuple[Direction, Direction]) -> None:
    """A recording plays one fixed order: the other order fails, it does not wait."""
    feed = Feed(HeadTurnChallenge(order))
    result = feed.perform(tuple(reversed(order)))
    assert result.status is Status.FAILED and result.reason is FailReason.WRONG_DIRECTION
    assert feed.t < 3.0, "fails at the wrong turn, not at the timeout"


def test_turning_the_first_way_twice_fails() -> None:
    feed = Feed(HeadTurnChallenge((LEFT, RIGHT)))
    result = feed.perform((LEFT, LEFT))
    assert result.reason is FailReason.WRONG_DIRECTION


def test_a_photo_held_still_never_turns_and_times_out() -> None:
    """A still picture with a hand's jitter: it faces the camera until the time is up."""
    feed = Feed(HeadTurnChallenge((LEFT, RIGHT), timeout_s=6.0))
    result = feed.pose(0.0, int(FPS * 10))
    assert result.reason is FailReason.TOO_SLOW
    assert 6.0 < feed.t < 6.0 + 2 / FPS
    assert feed.prompts == [Prompt.FACE_STRAIGHT, Prompt.TURN_LEFT]


def test_a_frozen_frame_fails_at_once() -> None:
    """Identical landmarks frame after frame: a frozen feed or a photo on a stand."""
    still = face(0.0, still=True)
    feed = Feed(HeadTurnChallenge((LEFT, RIGHT)))
    result = feed.frames([still], 30)
    assert result.reason is FailReason.FROZEN
    assert feed.t <= (liveness.FROZEN_REPEATS + 1) / FPS + 1e-9


def test_too_slow_even_mid_turn() -> None:
    feed = Feed(HeadTurnChallenge((LEFT, RIGHT), timeout_s=2.0))
    feed.pose(0.0, 5)
    result = feed.pose(TURNED / 2, 60)  # a half-hearted turn that never reaches the threshold
    assert result.reason is FailReason.TOO_SLOW


def test_no_face_for_too_long_fails() -> None:
    feed = Feed(HeadTurnChallenge((LEFT, RIGHT)))
    result = feed.frames([], int(FPS * 10))
    assert result.reason is FailReason.NO_FACE
    assert feed.t == pytest.approx(liveness.NO_FACE_LIMIT_S, abs=2 / FPS)


def test_two_faces_side_by_side_fail() -> None:
    feed = Feed(HeadTurnChallenge((LEFT, RIGHT)))
    pair = [face(0.0, x=100.0), face(0.0, x=300.0)]
    result = feed.frames(pair, int(FPS * 10))
    assert result.reason is FailReason.SEVERAL_FACES
    assert feed.t == pytest.approx(liveness.SEVERAL_FACES_LIMIT_S, abs=2 / FPS)


# ---------------------------------------------------------------- same face


def _unit(seed: int) -> npt.NDArray[np.float32]:
    vector = np.random.default_rng(seed).normal(size=128).astype(np.float32)
    return vector / np.linalg.norm(vector)


def features_of(people: Iterator[int], noise: float = 0.3) -> liveness.FeatureFn:
    """Features of whoever ``people`` says is in front of the camera, frame after frame,
    with some variation (pose, light) so the same person is similar, not identical."""
    rng = np.random.default_rng(7)

    def features(_face: Face) -> npt.NDArray[np.float32]:
        vector = _unit(next(people)) + rng.normal(scale=noise / math.sqrt(128), size=128)
        return vector.astype(np.float32).reshape(1, 128)

    return features


def test_the_same_person_throughout_passes() -> None:
    feed = Feed(HeadTurnChallenge((LEFT, RIGHT)))
    assert feed.perform((LEFT, RIGHT), features_of(itertools.repeat(1))).passed


def test_another_person_stepping_in_fails_as_a_different_face() -> None:
    """The resident starts, someone else does the turns: caught by the features drift."""
    people = itertools.chain(itertools.repeat(1, 6), itertools.repeat(2))
    feed = Feed(HeadTurnChallenge((LEFT, RIGHT)))
    result = feed.perform((LEFT, RIGHT), features_of(people))
    assert result.reason is FailReason.DIFFERENT_FACE


def test_one_odd_frame_is_not_a_different_face() -> None:
    """A blurred frame may embed badly; only consecutive ones make another person."""
    people = itertools.chain(itertools.repeat(1, 8), [2], itertools.repeat(1))
    feed = Feed(HeadTurnChallenge((LEFT, RIGHT)))
    assert feed.perform((LEFT, RIGHT), features_of(people)).passed


def test_features_are_dropped_at_the_verdict() -> None:
    challenge = HeadTurnChallenge((LEFT, RIGHT))
    Feed(challenge).perform((LEFT, RIGHT), features_of(itertools.repeat(1)))
    assert challenge._anchors == []


# ---------------------------------------------------------------- order


def test_the_order_is_left_and_right_once_each() -> None:
    with pytest.raises(ValueError, match="one each"):
        HeadTurnChallenge((LEFT, LEFT))


def test_random_order_picks_both_orders() -> None:
    rng = random.Random(3)
    orders = {random_order(rng) for _ in range(40)}
    assert orders == {(LEFT, RIGHT), (RIGHT, LEFT)}
    assert set(random_order()) == {LEFT, RIGHT}
