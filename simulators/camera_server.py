"""A camera simulator: MJPEG over HTTP on loopback, playing scripted scenes for the face check.

``OpenCvCamera("http://127.0.0.1:PORT/stream.mjpg")`` reads it with the same code that opens
a USB camera (ecosystem-notes §9: OpenCV's FFmpeg back-end reads multipart/x-mixed-replace
MJPEG as IP cameras send it). Port 0 picks a free port. The scene can be switched while
streams are open; each connection plays its scene's script from the moment it connected (or
the scene was set, whichever is later), so a camera started for an attempt sees the script
from its beginning.

Scenes (the people are the two photos in ``simulators/images``, see SOURCES.md):

- ``straight``: the resident (astronaut) faces the camera and never turns.
- ``turn_left`` / ``turn_right``: faces the camera, turns to their own left (right), back,
  and again, forever: one direction only.
- ``cooperative``: follows the challenge order given to ``set_scene`` (``order``): faces the
  camera, turns the first way, back, the second way, back, then faces the camera.
- ``other_person``: the resident faces the camera, then another person (the photographer)
  takes their place.
- ``printed_photo``: a photo held perfectly still: every frame byte-identical.
- ``no_face``: an empty hall wall.
- ``dark``: the resident in a dark room (3% of the light, sensor noise).
- ``unplugged``: every open stream is cut at once and new connections get 503.

The turns are synthetic, made from one still photo: the face region is remapped as if
wrapped on a cylinder turning about a vertical axis, with the nose (which stands in front of
the eyes) moved further, so YuNet's nose landmark moves relative to the eyes as on a turning
head (the landmark yaw ratio reaches ~0.2-0.25 at 45°). A flat photo turned in front of a real
camera does not do this; the warp is a test stand-in, not a model of one. Every live frame
gets a little sensor noise, so consecutive frames differ as a real camera's do.

Frames are made in memory and sent; nothing is logged or written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.server
import io
import math
import socket
import threading
import time
import types
from pathlib import Path
from typing import Literal, get_args

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Scene = Literal[
    "straight", "turn_left", "turn_right", "cooperative", "other_person",
    "printed_photo", "no_face", "dark", "unplugged",
]  # fmt: skip
SCENES: tuple[Scene, ...] = get_args(Scene)
# What a resident does for each instruction of the face check (``kiosk.face.vocabulary.Prompt``
# values), as this simulator's scene: the demo and the benchmark play such a resident.
SCENE_FOR_PROMPT: dict[str, Scene] = {
    "face_straight": "straight",
    "turn_left": "turn_left",
    "turn_right": "turn_right",
}
Person = Literal["astronaut", "photographer"]
Turn = Literal["left", "right"]  # the resident's own side (kiosk.face.liveness.Direction)

IMAGES_DIR = Path(__file__).resolve().parent / "images"
STREAM_PATH = "/stream.mjpg"
BOUNDARY = "kioskframe"
FRAME_SIZE = (640, 480)  # width, height: a common UVC mode
CHIP_SIZE = (102, 126)  # width, height of an ID card's chip photo

TURN_DEGREES = 45.0  # how far a synthetic turn goes
_ANGLE_STEP = 5  # turned frames are prepared every 5°, from -45° to 45°
_NOISE_SIGMA = 2.0  # grey levels of sensor noise on live frames
_NOISE_TILES = 12
_DARK_GAIN = 0.03

# Script timings, seconds.
_FACE_FIRST_S = 1.5  # facing the camera before the first turn
_RAMP_S = 0.4  # turning from the front to the full turn, and back
_HOLD_S = 1.0  # holding the turn
_BETWEEN_S = 0.6  # facing the camera between two turns
_SWAP_AFTER_S = 1.5  # other_person: when the other person steps in


@dataclasses.dataclass(frozen=True)
class _Portrait:
    """A photo and where its face is, measured once with YuNet (x, y, width, height)."""

    file: str
    face: tuple[int, int, int, int]


_PORTRAITS: dict[Person, _Portrait] = {
    "astronaut": _Portrait("astronaut.png", face=(178, 63, 90, 113)),
    "photographer": _Portrait("camera.png", face=(196, 113, 61, 81)),
}


def load_portrait(person: Person = "astronaut") -> Image:
    """The person's photo as a BGR image (the photographer's is grey, given three channels)."""
    image = cv2.imread(str(IMAGES_DIR / _PORTRAITS[person].file), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(IMAGES_DIR / _PORTRAITS[person].file)
    return np.asarray(image, dtype=np.uint8)


def card_photo(person: Person = "astronaut") -> Image:
    """A 102x126 chip-style photo of ``person``: head and shoulders, face in the upper middle.

    Cut from the portrait around its face (the crop is 1.9 face heights tall, in the chip's
    proportions) and shrunk, as an ID card's photo is a small head-and-shoulders shot.
    """
    image = load_portrait(person)
    x, y, w, h = _PORTRAITS[person].face
    crop_h = 1.9 * h
    crop_w = crop_h * CHIP_SIZE[0] / CHIP_SIZE[1]
    left = round(x + w / 2 - crop_w / 2)
    top = round(y + h / 2 - crop_h / 2 - 0.05 * crop_h)
    left, top = max(0, left), max(0, top)
    crop = image[top : top + round(crop_h), left : left + round(crop_w)]
    return np.asarray(cv2.resize(crop, CHIP_SIZE, interpolation=cv2.INTER_AREA), np.uint8)


def card_photo_jpeg(person: Person = "astronaut", quality: int = 60) -> bytes:
    """``card_photo`` as JPEG bytes (about 2.6 KB for the astronaut at quality 60), made on
    demand: the demo's virtual card and the tests use it, no derived file is kept."""
    ok, data = cv2.imencode(".jpg", card_photo(person), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()


def turned_face(image: Image, face: tuple[float, float, float, float], degrees: float) -> Image:
    """The photo with its face synthetically turned by ``degrees`` (> 0: the person's own
    left, which moves the nose towards the image's right). See the module docstring."""
    if degrees == 0:
        return image.copy()
    x, y, w, h = face
    centre_x, centre_y = x + w / 2, y + h / 2
    radius = 0.5 * w
    theta = math.radians(degrees)
    height, width = image.shape[:2]
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    # Where each output pixel comes from on a cylinder turned by theta.
    along = np.clip((xs - centre_x) / radius, -0.999, 0.999)
    source = centre_x + radius * np.sin(np.clip(np.arcsin(along) - theta, -np.pi / 2, np.pi / 2))
    # The nose stands in front of the cylinder: it moves further.
    nose = np.exp(-(((xs - centre_x) / (0.18 * w)) ** 2 + ((ys - (y + 0.6 * h)) / (0.22 * h)) ** 2))
    source -= 0.3 * w * nose * math.sin(theta)
    # Fade back to the untouched photo outside the head.
    distance = ((xs - centre_x) / (radius * 1.15)) ** 2 + ((ys - centre_y) / (0.75 * h)) ** 2
    weight = np.clip(1.5 - distance, 0.0, 1.0) ** 2
    map_x = (weight * source + (1 - weight) * xs).astype(np.float32)
    turned = cv2.remap(image, map_x, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return np.asarray(turned, dtype=np.uint8)


def _turn_angle(t: float, degrees: float) -> float:
    """Angle ``t`` seconds into one turn: ramp out, hold, ramp back; 0 after."""
    if t < _RAMP_S:
        return degrees * t / _RAMP_S
    if t < _RAMP_S + _HOLD_S:
        return degrees
    if t < 2 * _RAMP_S + _HOLD_S:
        return degrees * (2 * _RAMP_S + _HOLD_S - t) / _RAMP_S
    return 0.0


_TURN_S = 2 * _RAMP_S + _HOLD_S


def _signed(turn: Turn) -> float:
    return TURN_DEGREES if turn == "left" else -TURN_DEGREES


def pose_at(scene: Scene, t: float, order: tuple[Turn, Turn]) -> tuple[Person, float] | None:
    """Who is in the frame ``t`` seconds into ``scene`` and their head's angle (> 0: their
    own left); None for a frame with nobody (``no_face``, ``unplugged``)."""
    if scene in ("no_face", "unplugged"):
        return None
    if scene == "other_person":
        return ("astronaut", 0.0) if t < _SWAP_AFTER_S else ("photographer", 0.0)
    if scene in ("turn_left", "turn_right"):
        period = _FACE_FIRST_S + _TURN_S
        into = t % period - _FACE_FIRST_S
        angle = _turn_angle(into, _signed("left" if scene == "turn_left" else "right"))
        return ("astronaut", angle if into >= 0 else 0.0)
    if scene == "cooperative":
        into = t - _FACE_FIRST_S
        if 0 <= into < _TURN_S:
            return ("astronaut", _turn_angle(into, _signed(order[0])))
        into -= _TURN_S + _BETWEEN_S
        if 0 <= into < _TURN_S:
            return ("astronaut", _turn_angle(into, _signed(order[1])))
        return ("astronaut", 0.0)
    return ("astronaut", 0.0)  # straight, printed_photo, dark


class SceneRenderer:
    """The simulator's pictures: every pose prepared once (the portrait on a wall, turned
    every 5°), then per frame the light and a sensor's noise. Usable without the server."""

    def __init__(self, seed: int | None = None) -> None:
        width, height = FRAME_SIZE
        shade = np.linspace(200, 170, height, dtype=np.float32)[:, None, None]
        wall = np.broadcast_to(shade * np.array([1.0, 1.0, 0.96], np.float32), (height, width, 3))
        self.wall = np.ascontiguousarray(wall, dtype=np.uint8)
        self._poses: dict[tuple[Person, int], Image] = {}
        self._people = {person: self._place(person) for person in _PORTRAITS}
        rng = np.random.default_rng(seed)
        self._noise = [
            rng.normal(0.0, _NOISE_SIGMA, (height, width, 3)).astype(np.int16)
            for _ in range(_NOISE_TILES)
        ]
        self._still_jpeg: bytes | None = None

    def _place(self, person: Person) -> tuple[Image, tuple[float, float, float, float]]:
        """The portrait scaled to the frame's height, centred on the wall; its face box."""
        width, height = FRAME_SIZE
        portrait = load_portrait(person)
        scale = height / portrait.shape[0]
        size = round(portrait.shape[1] * scale)
        frame = self.wall.copy()
        left = (width - size) // 2
        frame[:, left : left + size] = cv2.resize(
            portrait, (size, height), interpolation=cv2.INTER_AREA
        )
        x, y, w, h = _PORTRAITS[person].face
        return frame, (left + x * scale, y * scale, w * scale, h * scale)

    def pose(self, person: Person, degrees: float) -> Image:
        """``person`` on the wall with the head turned ``degrees`` (to the nearest 5°), no
        noise. Shared: do not modify."""
        step = round(degrees / _ANGLE_STEP) * _ANGLE_STEP
        key = (person, step)
        if key not in self._poses:
            frame, face = self._people[person]
            self._poses[key] = turned_face(frame, face, step)
        return self._poses[key]

    def frame(self, scene: Scene, t: float, order: tuple[Turn, Turn], index: int) -> Image:
        """Frame number ``index``, ``t`` seconds into ``scene`` (``unplugged``: the wall)."""
        if scene == "printed_photo":
            return self.pose("astronaut", 0.0)  # no noise: every frame the same
        pose = pose_at(scene, t, order)
        image = self.wall if pose is None else self.pose(*pose)
        gain = _DARK_GAIN if scene == "dark" else 1.0
        noisy = image.astype(np.int16) if gain == 1.0 else (image * gain).astype(np.int16)
        noisy += self._noise[index % _NOISE_TILES]
        return np.clip(noisy, 0, 255).astype(np.uint8)

    def jpeg(self, scene: Scene, t: float, order: tuple[Turn, Turn], index: int) -> bytes:
        """``frame`` as the JPEG the stream sends (the printed photo encoded once)."""
        if scene == "printed_photo":
            if self._still_jpeg is None:
                self._still_jpeg = _encode(self.frame(scene, t, order, index))
            return self._still_jpeg
        return _encode(self.frame(scene, t, order, index))


def _encode(image: Image) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    simulator: CameraSimulator


class _StreamHandler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Silent: a simulator's access log is noise in the test output."""

    def do_GET(self) -> None:
        simulator = self.server.simulator
        if self.path != STREAM_PATH:
            self.send_error(404)
            return
        if simulator.scene == "unplugged":
            self.send_error(503, "camera unplugged")
            return
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        simulator._stream(self.connection, self.wfile)


class CameraSimulator:
    """The MJPEG camera on ``url``; ``set_scene`` switches what it shows, at any time."""

    def __init__(
        self,
        *,
        port: int = 0,
        fps: float = 15.0,
        scene: Scene = "straight",
        order: tuple[Turn, Turn] = ("left", "right"),
        seed: int | None = None,
    ) -> None:
        self._requested_port = port
        self._interval = 1.0 / fps
        self._lock = threading.Lock()
        self._scene: Scene = scene
        self._order = order
        self._scene_since = time.monotonic()
        self.renderer = SceneRenderer(seed)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self.frames_sent = 0

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the camera simulator is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/stream.mjpg``: what ``OpenCvCamera`` opens."""
        return f"http://127.0.0.1:{self.port}{STREAM_PATH}"

    @property
    def scene(self) -> Scene:
        with self._lock:
            return self._scene

    def set_scene(self, scene: Scene, order: tuple[Turn, Turn] | None = None) -> None:
        """Show ``scene`` from now on (``order``: the turns ``cooperative`` makes).

        ``unplugged`` cuts every open stream at once.
        """
        if scene not in SCENES:
            raise ValueError(f"unknown scene {scene!r}; one of {', '.join(SCENES)}")
        with self._lock:
            self._scene, self._scene_since = scene, time.monotonic()
            if order is not None:
                self._order = order
            cut = list(self._connections) if scene == "unplugged" else []
        for connection in cut:
            _cut(connection)

    def start(self) -> None:
        server = _Server(("127.0.0.1", self._requested_port), _StreamHandler)
        server.simulator = self
        self._server = server
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, name="camera-simulator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            cut = list(self._connections)
        for connection in cut:
            _cut(connection)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> CameraSimulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        self.stop()

    def _stream(self, connection: socket.socket, out: io.BufferedIOBase) -> None:
        """Send frames on one connection until it closes, the camera is unplugged or stops."""
        with self._lock:
            self._connections.add(connection)
        connected = time.monotonic()
        index = 0
        next_at = connected
        try:
            while not self._stopping.is_set():
                with self._lock:
                    scene, order, since = self._scene, self._order, self._scene_since
                if scene == "unplugged":
                    return
                jpeg = self.renderer.jpeg(
                    scene, time.monotonic() - max(since, connected), order, index
                )
                head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}"
                out.write(head.encode("ascii") + b"\r\n\r\n" + jpeg + b"\r\n")
                out.flush()
                index += 1
                with self._lock:
                    self.frames_sent += 1
                next_at += self._interval
                time.sleep(max(0.0, next_at - time.monotonic()))
        except OSError:
            return  # the reader went away, or the camera was unplugged
        finally:
            with self._lock:
                self._connections.discard(connection)


def _cut(connection: socket.socket) -> None:
    """Drop a connection as a pulled cable does: no goodbye."""
    with contextlib.suppress(OSError):  # already closed by the reader
        connection.shutdown(socket.SHUT_RDWR)


def main() -> None:
    """Run the simulator from a shell: ``python -m simulators.camera_server [scene] [port]``."""
    import sys

    name = sys.argv[1] if len(sys.argv) > 1 else "cooperative"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8090
    if name not in SCENES:
        raise SystemExit(f"scene is one of {', '.join(SCENES)}")
    with CameraSimulator(port=port, scene=name) as simulator:
        print(f"camera simulator: {simulator.url} ({name}); Ctrl-C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
