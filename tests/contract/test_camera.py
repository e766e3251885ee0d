"""``OpenCvCamera`` over the camera simulator's MJPEG stream, and each scene through a whole
``FaceAttempt`` (real models, real HTTP, the capture thread): the verdict each one must get.

The face part needs the models in ``assets/models/face/`` and skips, saying how to fetch
them, only when they are absent; the camera part needs nothing but loopback.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from devices.camera import CameraState, OpenCvCamera
from devices.errors import CameraUnavailable
from kiosk.face import model_files
from kiosk.face.check import AttemptResult, FaceAttempt
from kiosk.face.engine import SFACE_SAME_PERSON_COSINE, FaceEngine, decode_image
from kiosk.face.models import FaceModels
from kiosk.face.vocabulary import Direction, FailReason
from simulators.camera_server import (
    FRAME_SIZE,
    CameraSimulator,
    Person,
    Scene,
    card_photo_jpeg,
)

LEFT, RIGHT = Direction.LEFT, Direction.RIGHT
FRAME_TIMEOUT_S = 1.0
# A resident who never turns fails at the challenge's timeout: short here, the scene's
# script needs under 6 s.
CHALLENGE_TIMEOUT_S = 12.0


@pytest.fixture(scope="module")
def simulator() -> Iterator[CameraSimulator]:
    with CameraSimulator(port=0, seed=1) as camera_simulator:
        yield camera_simulator


@pytest.fixture
def camera(simulator: CameraSimulator) -> Iterator[OpenCvCamera]:
    """A camera on the simulator's stream; stopped after the test."""
    simulator.set_scene("straight")
    opened = OpenCvCamera(simulator.url, frame_timeout_s=FRAME_TIMEOUT_S)
    yield opened
    opened.stop()


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    absent = [m.name for m in model_files.MODEL_FILES
              if not (model_files.DEFAULT_MODEL_DIR / m.name).exists()]  # fmt: skip
    if absent:
        pytest.skip(f"face models absent ({', '.join(absent)}): {model_files.FETCH_HINT}")
    return FaceEngine(FaceModels.load())


def wait_for(camera: OpenCvCamera, state: CameraState, within_s: float) -> float:
    """Seconds until ``camera`` reaches ``state``; fails the test past ``within_s``."""
    started = time.monotonic()
    while camera.state is not state:
        assert time.monotonic() - started < within_s, f"still {camera.state}, not {state}"
        time.sleep(0.02)
    return time.monotonic() - started


# ---------------------------------------------------------------- the camera


def test_the_camera_streams_frames_from_the_simulator(camera: OpenCvCamera) -> None:
    assert camera.state is CameraState.STOPPED and camera.latest_frame() is None
    camera.start()
    wait_for(camera, CameraState.STREAMING, within_s=5)
    first = camera.next_frame(0, timeout_s=2)
    second = camera.next_frame(first.seq, timeout_s=2)
    assert second.seq > first.seq and second.timestamp > first.timestamp
    assert first.image.shape == (FRAME_SIZE[1], FRAME_SIZE[0], 3)
    assert first.image.dtype.name == "uint8"
    assert camera.latest_frame() is not None
    camera.stop()
    assert camera.latest_frame() is None
    assert camera.state is CameraState.STOPPED
    with pytest.raises(CameraUnavailable, match="not started"):
        camera.next_frame(0, timeout_s=0.1)


@pytest.mark.expect_log("devices.camera")
def test_an_unplugged_camera_fails_within_the_timeout(
    camera: OpenCvCamera, simulator: CameraSimulator
) -> None:
    camera.start()
    wait_for(camera, CameraState.STREAMING, within_s=5)
    simulator.set_scene("unplugged")
    took = wait_for(camera, CameraState.FAILED, within_s=FRAME_TIMEOUT_S + 1)
    assert took <= FRAME_TIMEOUT_S + 1
    with pytest.raises(CameraUnavailable):
        camera.next_frame(0, timeout_s=0.5)
    assert camera.failure
    # Plugged back in: a new start opens it again.
    simulator.set_scene("straight")
    camera.start()
    wait_for(camera, CameraState.STREAMING, within_s=5)


@pytest.mark.expect_log("devices.camera")
def test_a_stream_that_stalls_fails_after_the_frame_timeout() -> None:
    """A camera that stops sending without closing (a hung IP camera, a wedged USB hub)."""
    jpeg = card_photo_jpeg()
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    held: list[socket.socket] = []

    def one_frame_then_silence() -> None:
        connection, _ = server.accept()
        held.append(connection)
        connection.recv(4096)
        part = b"--f\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg)
        connection.sendall(
            b"HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=f\r\n\r\n"
            + (part + jpeg + b"\r\n") * 3
        )

    threading.Thread(target=one_frame_then_silence, daemon=True).start()
    stalled = OpenCvCamera(f"http://127.0.0.1:{port}/stream.mjpg", frame_timeout_s=FRAME_TIMEOUT_S)
    try:
        stalled.start()
        stalled.next_frame(0, timeout_s=5)
        wait_for(stalled, CameraState.FAILED, within_s=FRAME_TIMEOUT_S + 1)
        with pytest.raises(CameraUnavailable):
            stalled.next_frame(0, timeout_s=0.5)
    finally:
        stalled.stop()
        for connection in held:
            connection.close()
        server.close()


@pytest.mark.expect_log("devices.camera")
def test_nothing_listening_fails_to_open() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    camera = OpenCvCamera(f"http://127.0.0.1:{port}/stream.mjpg", open_timeout_s=1.0)
    try:
        camera.start()
        wait_for(camera, CameraState.FAILED, within_s=5)
        with pytest.raises(CameraUnavailable, match="cannot be opened"):
            camera.next_frame(0, timeout_s=0.5)
    finally:
        camera.stop()


# ---------------------------------------------------------------- scenes through an attempt


def attempt(
    engine: FaceEngine,
    camera: OpenCvCamera,
    simulator: CameraSimulator,
    scene: Scene,
    order: tuple[Direction, Direction] = (LEFT, RIGHT),
    card_holder: Person = "astronaut",
) -> AttemptResult:
    """One attempt against ``card_holder``'s chip photo while the simulator plays ``scene``."""
    jpeg = card_photo_jpeg(card_holder)
    reference = engine.reference_from_image(decode_image(jpeg))
    simulator.set_scene(scene, order=(order[0].value, order[1].value))
    camera.start()
    face_attempt = FaceAttempt(
        engine,
        reference,
        hashlib.sha256(jpeg).hexdigest(),
        order=order,
        timeout_s=CHALLENGE_TIMEOUT_S,
        frame_timeout_s=FRAME_TIMEOUT_S,
    )
    return face_attempt.run(camera)


@pytest.mark.parametrize("order", [(LEFT, RIGHT), (RIGHT, LEFT)])
def test_a_cooperative_resident_passes(
    engine: FaceEngine,
    camera: OpenCvCamera,
    simulator: CameraSimulator,
    order: tuple[Direction, Direction],
) -> None:
    result = attempt(engine, camera, simulator, "cooperative", order)
    assert result.liveness_passed, result.liveness_reason
    assert result.score > SFACE_SAME_PERSON_COSINE
    assert result.elapsed < CHALLENGE_TIMEOUT_S and result.frames_seen > 20


def test_a_cooperative_resident_with_someone_elses_card_scores_low(
    engine: FaceEngine, camera: OpenCvCamera, simulator: CameraSimulator
) -> None:
    """Liveness proves a live person, not which one: the comparison does that."""
    result = attempt(engine, camera, simulator, "cooperative", card_holder="photographer")
    assert result.liveness_passed
    assert result.score < SFACE_SAME_PERSON_COSINE


@pytest.mark.parametrize(
    ("scene", "order", "reason"),
    [
        ("printed_photo", (LEFT, RIGHT), FailReason.FROZEN),
        ("other_person", (LEFT, RIGHT), FailReason.DIFFERENT_FACE),
        ("no_face", (LEFT, RIGHT), FailReason.NO_FACE),
        ("dark", (LEFT, RIGHT), FailReason.NO_FACE),
        ("turn_left", (RIGHT, LEFT), FailReason.WRONG_DIRECTION),
    ],
)
def test_scenes_that_must_fail(
    engine: FaceEngine,
    camera: OpenCvCamera,
    simulator: CameraSimulator,
    scene: Scene,
    order: tuple[Direction, Direction],
    reason: FailReason,
) -> None:
    result = attempt(engine, camera, simulator, scene, order)
    assert not result.liveness_passed
    assert result.liveness_reason is reason
    assert result.score == 0.0, "nothing is compared after a failed liveness run"


@pytest.mark.expect_log("devices.camera")
def test_a_camera_unplugged_mid_attempt_raises(
    engine: FaceEngine, camera: OpenCvCamera, simulator: CameraSimulator
) -> None:
    threading.Timer(1.5, simulator.set_scene, args=("unplugged",)).start()
    started = time.monotonic()
    with pytest.raises(CameraUnavailable):
        attempt(engine, camera, simulator, "cooperative")
    assert time.monotonic() - started < 1.5 + FRAME_TIMEOUT_S + 1.5
    assert camera.state is CameraState.FAILED
