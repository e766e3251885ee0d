"""The kiosk's face check as one object: the camera, the models, one attempt at a time.

``kiosk.flow.ports.FaceChecker`` is what the flow sees: ``ready`` (may the face factor be
offered now), ``run_attempt`` (on the face lane: the reference from the card photo, the camera
on, the challenge, the camera off) and ``cancel``. The screens get ``preview`` (the newest
frame while the camera is on, for the mirrored picture). Staff diagnostics get ``diagnose``.

Readiness: the models load and their hashes are checked once (``warm_up``, on a background
thread at start-up, about a quarter of a second); the camera is tried then too (opened until
its first frame, then closed: it is on only while a resident's face is checked). A camera that
failed, at start or during an attempt, makes the face check unavailable until a later try
succeeds: ``ready`` starts such a try in the background at most once a minute.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from devices.camera import Camera, CameraState
from devices.errors import CameraUnavailable
from kiosk.face.errors import FaceModelError
from kiosk.face.model_files import DEFAULT_MODEL_DIR

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from kiosk.face.check import AttemptResult, FaceAttempt
    from kiosk.face.models import FaceModels

log = logging.getLogger(__name__)

CAMERA_RETRY_S = 60.0  # a failed camera is tried again at most this often
FIRST_FRAME_TIMEOUT_S = 5.0  # the camera's first frame when it is tried


@dataclasses.dataclass(frozen=True)
class FaceHealth:
    """What staff diagnostics show: the camera, the models (never an image)."""

    camera_configured: bool
    camera_ok: bool
    camera_detail: str
    models_ok: bool
    models_detail: str
    model_hashes: dict[str, str]


class FaceService:
    """The camera and the face engine of one kiosk.

    Args:
        camera: The camera (None: none configured, the face check is never offered).
        models_dir: Where the two pinned model files are.
        clock: Monotonic seconds (tests pass their own).
    """

    def __init__(
        self,
        camera: Camera | None,
        models_dir: Path = DEFAULT_MODEL_DIR,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._camera = camera
        self._models_dir = models_dir
        self._clock = clock
        self._lock = threading.Lock()
        self._models: FaceModels | None = None
        self._models_error = "not loaded yet"
        self._camera_ok = False
        self._camera_detail = "not tried yet" if camera is not None else "no camera configured"
        self._camera_tried_at: float | None = None
        self._trying = False
        self._attempt: FaceAttempt | None = None
        self._attempt_running = False

    # ------------------------------------------------------------ readiness
    def warm_up(self) -> None:
        """Load the models and try the camera (blocking: a background thread's work)."""
        if self._camera is None:
            return
        self._load_models()
        self._try_camera()

    def _load_models(self) -> FaceModels:
        # OpenCV and numpy load here, on the warm-up's thread, not at the kiosk's start.
        from kiosk.face.models import FaceModels

        with self._lock:
            if self._models is not None:
                return self._models
        try:
            models = FaceModels.load(self._models_dir)
        except FaceModelError as exc:
            with self._lock:
                self._models_error = str(exc)
            log.warning("face check unavailable: %s", exc)
            raise
        log.info("face models loaded in %.0f ms", models.load_seconds * 1000)
        with self._lock:
            self._models, self._models_error = models, ""
            return models

    def _try_camera(self) -> None:
        camera = self._camera
        if camera is None:
            return
        with self._lock:
            if self._attempt_running or self._trying:
                return
            self._trying = True
            self._camera_tried_at = self._clock()
        try:
            camera.start()
            camera.next_frame(-1, FIRST_FRAME_TIMEOUT_S)
            ok, detail = True, "frames arriving"
        except CameraUnavailable as exc:
            ok, detail = False, str(exc)
        finally:
            with self._lock:
                running = self._attempt_running
            if not running:
                camera.stop()
        with self._lock:
            self._camera_ok, self._camera_detail, self._trying = ok, detail, False
        if not ok:
            log.warning("camera unavailable: %s", detail)

    def ready(self) -> bool:
        """Whether the face check can be offered now (thread-safe, never blocks)."""
        if self._camera is None:
            return False
        with self._lock:
            ok = self._camera_ok and self._models is not None
            due = not self._camera_ok and (
                self._camera_tried_at is None
                or self._clock() - self._camera_tried_at >= CAMERA_RETRY_S
            )
        if due and self._models is not None:
            threading.Thread(target=self._try_camera, name="kiosk-camera-try", daemon=True).start()
        return ok

    # ------------------------------------------------------------ one attempt
    def run_attempt(
        self,
        photo: bytes,
        photo_sha256: str,
        *,
        timeout_s: float,
        on_prompt: Callable[[str], None],
    ) -> AttemptResult:
        """One attempt (face lane): the photo's face as the reference, the camera on for
        the challenge and the comparison, off again whatever happens.

        Raises:
            kiosk.face.errors.FaceError: The models fail, or the photo has no usable face.
            devices.errors.CameraUnavailable: The camera failed (the face check is then not
                offered until the camera answers again).
        """
        from kiosk.face.check import FaceAttempt
        from kiosk.face.engine import FaceEngine, decode_image

        camera = self._camera
        if camera is None:
            raise CameraUnavailable("no camera configured")
        engine = FaceEngine(self._load_models())
        reference = engine.reference_from_image(decode_image(photo))
        del photo  # the reference's features are all the attempt needs
        attempt = FaceAttempt(engine, reference, photo_sha256, timeout_s=timeout_s)
        del reference
        with self._lock:
            self._attempt, self._attempt_running = attempt, True
        try:
            camera.start()
            return attempt.run(camera, lambda prompt: on_prompt(prompt.value))
        except CameraUnavailable as exc:
            with self._lock:
                self._camera_ok, self._camera_detail = False, str(exc)
                self._camera_tried_at = self._clock()
            raise
        finally:
            camera.stop()  # drops its last frame too
            with self._lock:
                self._attempt, self._attempt_running = None, False

    def cancel(self) -> None:
        """Stop the running attempt at its next frame (any thread)."""
        with self._lock:
            attempt = self._attempt
        if attempt is not None:
            attempt.cancel()

    def preview(self) -> npt.NDArray[np.uint8] | None:
        """The newest frame while an attempt has the camera on (BGR, as captured), else
        None: the screen shows nothing of a camera that is off."""
        camera = self._camera
        with self._lock:
            running = self._attempt_running
        if camera is None or not running:
            return None
        frame = camera.latest_frame()
        return None if frame is None else frame.image

    # ------------------------------------------------------------ staff
    def health(self) -> FaceHealth:
        """The camera's and the models' state as last seen (no I/O)."""
        camera = self._camera
        with self._lock:
            models = self._models
            camera_ok = self._camera_ok
            if camera is not None and self._attempt_running:
                camera_ok = camera.state is not CameraState.FAILED
            return FaceHealth(
                camera_configured=camera is not None,
                camera_ok=camera_ok,
                camera_detail=self._camera_detail,
                models_ok=models is not None,
                models_detail=self._models_error,
                model_hashes=dict(models.hashes) if models is not None else {},
            )

    def check_now(self) -> FaceHealth:
        """Load the models and try the camera now (staff's "check again"), then ``health``."""
        if self._camera is not None:
            with contextlib.suppress(FaceModelError):  # recorded: health says why
                self._load_models()
            self._try_camera()
        return self.health()
