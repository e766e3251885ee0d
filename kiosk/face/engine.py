"""Detect, embed and compare faces with YuNet 2023mar and SFace 2021dec (OpenCV's own API).

The score the kiosk reports is exactly OpenCV's ``FaceRecognizerSF.match(..., FR_COSINE)``
between SFace features of the live face and of the card photo, clamped to -1..1 (platform-api
§3b). ``SFACE_SAME_PERSON_COSINE`` is opencv_zoo's published threshold, for tests and
benchmarks only: the platform decides with its own ``min_score``.

Not thread-safe, by design: OpenCV's networks keep per-call state, so one ``FaceEngine`` runs
on one worker lane (the face lane), never on the GUI thread and never on two threads at once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face.errors import NoFaceInPhoto, PhotoUnreadable, SeveralFacesInPhoto
from kiosk.face.landmarks import Face
from kiosk.face.models import FaceModels

BgrImage = npt.NDArray[np.uint8]  # height x width x 3, OpenCV's BGR order (or height x width grey)
Features = npt.NDArray[np.float32]  # SFace's 1 x 128 feature row

SFACE_SAME_PERSON_COSINE = 0.363  # opencv_zoo's threshold for SFace, cosine

# YuNet's confidence below which a detection is dropped. opencv_zoo's demo uses 0.9; chip
# photos (102x126, JPEG) and elderly faces in a hall's light score lower, and a false face
# is caught anyway by the comparison and the liveness check. 0.7 keeps the astronaut's chip
# photo (0.93) with room for worse ones.
DETECTION_SCORE_MIN = 0.7
NMS_IOU_MAX = 0.3  # overlapping boxes above this are one face
TOP_K = 50  # candidates kept before non-maximum suppression: a queue behind is a few faces

# A card photo is tiny (102x126); when nothing is found at that size the photo is searched
# again at twice the size, which YuNet's smallest anchors suit better.
_SMALL_PHOTO_PX = 200
_UPSCALE = 2


@dataclasses.dataclass(frozen=True, eq=False)
class Reference:
    """The card photo's face, reduced to its features: no pixels are kept.

    Attributes:
        features: SFace's features of the photo's one face.
        detection_score: YuNet's confidence in that face (a low one hints at a poor photo).
    """

    features: Features
    detection_score: float


def decode_image(data: bytes) -> BgrImage:
    """Decode a photo's bytes (JPEG, PNG, BMP...) to a BGR image, in memory only.

    Raises:
        PhotoUnreadable: The bytes are not an image OpenCV can decode.
    """
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise PhotoUnreadable(f"the photo ({len(data)} bytes) does not decode as an image")
    return _as_bgr(image)


def _as_bgr(image: Any) -> BgrImage:
    """Check an image is 8-bit and give it three channels (a grey photo is allowed)."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise ValueError(f"images are 8-bit, got {array.dtype}")
    if array.ndim == 2:
        return np.asarray(cv2.cvtColor(array, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"images are height x width x 3 (BGR), got shape {array.shape}")
    return array


class FaceEngine:
    """YuNet detection and SFace features over one pair of loaded models (one lane only)."""

    def __init__(
        self, models: FaceModels, *, detection_score_min: float = DETECTION_SCORE_MIN
    ) -> None:
        self.models = models
        self._detector = models.detector
        self._recognizer = models.recognizer
        self._detector.setScoreThreshold(detection_score_min)
        self._detector.setNMSThreshold(NMS_IOU_MAX)
        self._detector.setTopK(TOP_K)
        self._input_size: tuple[int, int] | None = None

    def detect(self, frame_bgr: BgrImage) -> list[Face]:
        """Every face in the frame above the score threshold, most confident first."""
        frame = _as_bgr(frame_bgr)
        size = (int(frame.shape[1]), int(frame.shape[0]))
        if size != self._input_size:
            self._detector.setInputSize(size)
            self._input_size = size
        rows: Any = self._detector.detect(frame)[1]  # None when no face (the stubs omit it)
        if rows is None:
            return []
        faces = [Face.from_row([float(n) for n in row]) for row in np.asarray(rows)]
        return sorted(faces, key=lambda face: face.score, reverse=True)

    def embed(self, frame_bgr: BgrImage, face: Face) -> Features:
        """SFace's features of ``face`` in ``frame_bgr`` (aligned on its five landmarks).

        The aligned 112x112 crop exists only inside this call.
        """
        frame = _as_bgr(frame_bgr)
        row = np.asarray([face.as_row()], dtype=np.float32)
        aligned = self._recognizer.alignCrop(frame, row)
        features = np.array(self._recognizer.feature(aligned), dtype=np.float32, copy=True)
        del aligned
        return features

    def match(self, a: Features, b: Features) -> float:
        """Cosine similarity of two feature rows by OpenCV's ``FR_COSINE``, clamped to -1..1."""
        score = float(self._recognizer.match(a, b, cv2.FaceRecognizerSF_FR_COSINE))
        return min(1.0, max(-1.0, score))

    def reference_from_image(self, image_bgr: BgrImage) -> Reference:
        """The card photo's one face as a ``Reference``.

        Raises:
            NoFaceInPhoto: No face is found, even at twice the size for a small photo.
            SeveralFacesInPhoto: More than one face is found.
        """
        image = _as_bgr(image_bgr)
        faces = self.detect(image)
        if not faces and max(image.shape[:2]) < _SMALL_PHOTO_PX:
            image = np.asarray(
                cv2.resize(image, None, fx=_UPSCALE, fy=_UPSCALE, interpolation=cv2.INTER_CUBIC),
                dtype=np.uint8,
            )
            faces = self.detect(image)
        if not faces:
            raise NoFaceInPhoto("no face found in the card photo")
        if len(faces) > 1:
            raise SeveralFacesInPhoto(f"{len(faces)} faces found in the card photo")
        return Reference(self.embed(image, faces[0]), faces[0].score)

    def forget(self) -> None:
        """Overwrite what the networks keep of the last frame (best effort).

        OpenCV's networks hold their last input and intermediate tensors until the next call;
        running both once on a blank image replaces them, so no trace of the last resident's
        face stays in the engine's memory between attempts.
        """
        blank = np.zeros((112, 112, 3), dtype=np.uint8)
        if self._input_size is not None:
            self._detector.detect(np.zeros((self._input_size[1], self._input_size[0], 3), np.uint8))
        self._recognizer.feature(blank)
