"""Load the two pinned ONNX models into OpenCV, checking their SHA-256 first.

The bytes that were hashed are the bytes OpenCV parses (it loads both networks from memory),
so a file swapped between the check and the load cannot slip in. Loading takes about a tenth
of a second on a 2-core machine (``load_seconds`` says how long it took here), hashing the
38 MB recogniser included: load once per process, at start-up or on the first face check.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from kiosk.face.errors import FaceModelError
from kiosk.face.model_files import DEFAULT_MODEL_DIR, FETCH_HINT, SFACE, YUNET, ModelFile

if TYPE_CHECKING:
    from collections.abc import Mapping

# The detector's input size is set per frame by the engine; this is only the initial one.
_INITIAL_INPUT_SIZE = (320, 320)


def _read_checked(directory: Path, model: ModelFile) -> bytes:
    path = directory / model.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FaceModelError(f"face model {path} is missing: {FETCH_HINT}") from None
    except OSError as error:
        raise FaceModelError(f"face model {path} cannot be read: {error}") from error
    digest = hashlib.sha256(data).hexdigest()
    if digest != model.sha256:
        raise FaceModelError(
            f"face model {path} has SHA-256 {digest}, not the pinned {model.sha256} "
            f"({model.title}): refused; delete it and {FETCH_HINT}"
        )
    return data


def _as_buffer(data: bytes) -> np.ndarray[tuple[int], np.dtype[np.uint8]]:
    return np.frombuffer(data, dtype=np.uint8)


class FaceModels:
    """YuNet and SFace, loaded and verified. Use through ``kiosk.face.engine.FaceEngine``.

    Attributes:
        detector: OpenCV's YuNet face detector.
        recognizer: OpenCV's SFace face recogniser.
        hashes: file name -> SHA-256 as loaded (for staff diagnostics).
        load_seconds: wall time of ``load`` (reading, hashing, parsing both networks).
    """

    def __init__(
        self,
        detector: cv2.FaceDetectorYN,
        recognizer: cv2.FaceRecognizerSF,
        hashes: Mapping[str, str],
        load_seconds: float,
    ) -> None:
        self.detector = detector
        self.recognizer = recognizer
        self.hashes: Mapping[str, str] = MappingProxyType(dict(hashes))
        self.load_seconds = load_seconds

    @classmethod
    def load(cls, directory: Path = DEFAULT_MODEL_DIR) -> FaceModels:
        """Read both models from ``directory``, check each SHA-256, build OpenCV's networks.

        Raises:
            FaceModelError: A file is missing or unreadable, its hash differs from the pin,
                or OpenCV refuses it.
        """
        started = time.perf_counter()
        yunet = _read_checked(directory, YUNET)
        sface = _read_checked(directory, SFACE)
        no_config = np.empty(0, dtype=np.uint8)
        # OpenCV 5 warns on stderr that its new graph engine ignores the (default) target
        # while building each network: noise in the kiosk's journal, so hushed while loading.
        # OpenCV 4 neither warns nor has this module.
        cv_logging: Any = getattr(cv2.utils, "logging", None)
        previous_level = cv_logging.getLogLevel() if cv_logging else None
        if cv_logging:
            cv_logging.setLogLevel(cv_logging.LOG_LEVEL_ERROR)
        try:
            detector = cv2.FaceDetectorYN.create(
                "onnx", _as_buffer(yunet), no_config, _INITIAL_INPUT_SIZE
            )
            recognizer = cv2.FaceRecognizerSF.create("onnx", _as_buffer(sface), no_config)
        except cv2.error as error:
            raise FaceModelError(f"OpenCV cannot load the face models: {error}") from error
        finally:
            if cv_logging:
                cv_logging.setLogLevel(previous_level)
        return cls(
            detector,
            recognizer,
            {YUNET.name: YUNET.sha256, SFACE.name: SFACE.sha256},
            time.perf_counter() - started,
        )
