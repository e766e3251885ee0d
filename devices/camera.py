"""The camera: a small interface and its OpenCV adapter (USB UVC devices and MJPEG streams).

``OpenCvCamera`` reads ``cv2.VideoCapture`` on its own thread, never the GUI thread, and keeps
only the newest frame: readers (the face lane, a preview) take frames with ``next_frame`` or
``latest_frame`` at their own pace. The same code opens ``/dev/videoN`` (an int index, V4L2)
in production and the camera simulator's ``http://127.0.0.1:PORT/stream.mjpg`` in the demo
and the tests (FFmpeg), ecosystem-notes §9.

A camera that stops sending (unplugged, stream closed, a stalled IP camera) is ``FAILED``
once no frame came for ``frame_timeout_s``, or at once when the capture reports the end of
the stream; readers then get ``devices.errors.CameraUnavailable``. ``start`` again to retry.

Threads: ``start``, ``stop``, ``state`` and ``latest_frame`` are quick and safe from any
thread (``stop`` waits at most a second for the capture to let go of the device);
``next_frame`` blocks until a frame comes, so it belongs on a worker lane, not the GUI thread.

Frames are never logged or written anywhere; ``stop`` drops the last one.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

from devices.errors import CameraUnavailable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

logger = logging.getLogger(__name__)

FRAME_TIMEOUT_S = 2.0  # no frame for this long: the camera is gone (a UVC camera sends 10-30/s)
OPEN_TIMEOUT_S = 5.0  # opening a stream (FFmpeg's HTTP connect and first bytes)
_STOP_WAIT_S = 1.0  # a healthy read returns within one frame interval


class CameraState(enum.StrEnum):
    """Where the camera is: stopped, opening, opened (no frame yet), streaming, failed."""

    STOPPED = "stopped"
    OPENING = "opening"
    OPENED = "opened"
    STREAMING = "streaming"  # frames arriving
    FAILED = "failed"


@dataclasses.dataclass(frozen=True, eq=False)
class Frame:
    """One captured frame.

    Attributes:
        image: height x width x 3, BGR, 8-bit. Shared: readers must not modify it.
        seq: 1, 2, 3... per ``start``; a reader asks for frames newer than the last it saw.
        timestamp: ``time.monotonic()`` when the capture returned it.
    """

    image: npt.NDArray[np.uint8]
    seq: int
    timestamp: float


class Camera(Protocol):
    """What the kiosk needs of a camera."""

    @property
    def state(self) -> CameraState: ...

    def start(self) -> None:
        """Open the camera and start capturing in the background; returns at once."""
        ...

    def stop(self) -> None:
        """Stop capturing, release the device and drop the last frame. Safe to call twice."""
        ...

    def latest_frame(self) -> Frame | None:
        """The newest frame, or None before the first (for a preview)."""
        ...

    def next_frame(self, after: int, timeout_s: float) -> Frame:
        """The newest frame with ``seq > after``, waiting up to ``timeout_s``.

        Raises:
            CameraUnavailable: The camera failed, is stopped, or no new frame came in time.
        """
        ...


class OpenCvCamera:
    """``Camera`` over ``cv2.VideoCapture``: ``source`` is a V4L2 index or a stream URL."""

    def __init__(
        self,
        source: int | str,
        *,
        frame_timeout_s: float = FRAME_TIMEOUT_S,
        open_timeout_s: float = OPEN_TIMEOUT_S,
    ) -> None:
        self.source = source
        self._frame_timeout_s = frame_timeout_s
        self._open_timeout_s = open_timeout_s
        self._lock = threading.Condition()
        self._state = CameraState.STOPPED
        self._failure = ""
        self._frame: Frame | None = None
        self._last_frame_at = 0.0
        self._opened_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> CameraState:
        """The state; a stream silent for longer than the frame timeout reads ``FAILED``."""
        with self._lock:
            self._check_stalled()
            return self._state

    @property
    def failure(self) -> str:
        """Why the camera failed (for staff diagnostics); empty unless ``FAILED``."""
        with self._lock:
            return self._failure

    def start(self) -> None:
        with self._lock:
            self._check_stalled()
            if self._state in (CameraState.OPENING, CameraState.OPENED, CameraState.STREAMING):
                return
            # After a failure the old capture thread may still hang in the driver: it sees its
            # own stop event when it wakes and ends without touching this camera again.
            self._stop.set()
            self._stop = threading.Event()
            self._state, self._failure, self._frame = CameraState.OPENING, "", None
            self._opened_at = time.monotonic()
            self._thread = threading.Thread(
                target=self._capture, args=(self._stop,), name="kiosk-camera", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            thread, self._thread = self._thread, None
            self._state, self._frame = CameraState.STOPPED, None
            self._lock.notify_all()
        # Wait briefly for the thread to release the device (a V4L2 camera opens once at a
        # time, so a quick stop/start needs it closed); a read hung in a dead driver is not
        # waited for: the daemon thread releases the capture itself when it returns.
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=_STOP_WAIT_S)

    def latest_frame(self) -> Frame | None:
        with self._lock:
            return self._frame

    def next_frame(self, after: int, timeout_s: float) -> Frame:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                self._check_stalled()
                if self._state is CameraState.FAILED:
                    raise CameraUnavailable(f"camera {self._name()}: {self._failure}")
                if self._state is CameraState.STOPPED:
                    raise CameraUnavailable(f"camera {self._name()} is not started")
                if self._frame is not None and self._frame.seq > after:
                    return self._frame
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CameraUnavailable(
                        f"camera {self._name()}: no new frame within {timeout_s:.1f} s"
                    )
                self._lock.wait(min(remaining, 0.25))

    # ------------------------------------------------------------------ capture thread

    def _name(self) -> str:
        # A stream URL may carry credentials (an IP camera's user:password@): never shown.
        if isinstance(self.source, int):
            return f"/dev/video{self.source}"
        return self.source.split("@")[-1] if "@" in self.source else self.source

    def _check_stalled(self) -> None:
        """Under the lock: a silent camera is a failed camera."""
        now = time.monotonic()
        if self._state is CameraState.STREAMING and now - self._last_frame_at > (
            self._frame_timeout_s
        ):
            self._fail(f"no frame for {self._frame_timeout_s:.1f} s")
        elif self._state in (CameraState.OPENING, CameraState.OPENED) and (
            now - self._opened_at > self._open_timeout_s + self._frame_timeout_s
        ):
            self._fail("no first frame")

    def _fail(self, why: str) -> None:
        """Under the lock."""
        if self._state is not CameraState.FAILED:
            logger.warning("camera %s failed: %s", self._name(), why)
        self._state, self._failure, self._frame = CameraState.FAILED, why, None
        self._lock.notify_all()

    def _open(self) -> Any:  # a cv2.VideoCapture
        import cv2  # OpenCV loads with the first camera opened, not at the kiosk's start

        if isinstance(self.source, int):
            return cv2.VideoCapture(self.source, cv2.CAP_V4L2)
        timeouts = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self._open_timeout_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(self._frame_timeout_s * 1000),
        ]  # fmt: skip
        return cv2.VideoCapture(self.source, cv2.CAP_FFMPEG, timeouts)

    def _capture(self, stop: threading.Event) -> None:
        import cv2
        import numpy as np

        try:
            capture = self._open()
        except cv2.error as error:
            with self._lock:
                if not stop.is_set():
                    self._fail(f"cannot be opened ({error})")
            return
        try:
            with self._lock:
                if stop.is_set() or self._state is CameraState.FAILED:
                    return  # stopped, or the open outlasted its time and was declared failed
                if not capture.isOpened():
                    self._fail("cannot be opened")
                    return
                self._state = CameraState.OPENED
            seq = 0
            while not stop.is_set():
                ok, image = capture.read()
                with self._lock:
                    if stop.is_set() or self._state is CameraState.FAILED:
                        return  # stopped, or declared failed while this read hung
                    if not ok or image is None:
                        self._fail("the stream ended (unplugged?)")
                        return
                    seq += 1
                    now = time.monotonic()
                    frame = np.asarray(image, dtype=np.uint8)
                    self._frame = Frame(frame, seq, now)
                    self._last_frame_at = now
                    self._state = CameraState.STREAMING
                    self._lock.notify_all()
        finally:
            capture.release()
