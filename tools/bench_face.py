"""Face check benchmark: model load time, per-frame cost, and the scores of the images we have.

Frames are the camera simulator's 640x480 pictures (its cooperative scene, sensor noise
included) rendered in memory, so only the face engine is timed, not HTTP or JPEG. Not a
test: it reports, it does not fail.

    .venv/bin/python -m tools.bench_face [--frames 60]

Prints median / min / max milliseconds for: loading both models (fresh, in a new process
each time would be fairer; here repeated in one), YuNet on a frame, YuNet plus SFace on a
frame, YuNet on a 102x126 chip photo; then the cosine scores of every pair of the images
we have (the same photo edited is a regression check, not evidence of accuracy).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from collections.abc import Callable

import cv2

from kiosk.face.engine import SFACE_SAME_PERSON_COSINE, BgrImage, FaceEngine, decode_image
from kiosk.face.models import FaceModels
from simulators.camera_server import SceneRenderer, card_photo_jpeg, load_portrait

LOAD_RUNS = 5


def _ms(samples: list[float]) -> str:
    return (
        f"{statistics.median(samples):8.1f} {min(samples):8.1f} {max(samples):8.1f}"
        f"   (n={len(samples)})"
    )


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60, help="frames to time")
    args = parser.parse_args(argv)

    loads = [FaceModels.load().load_seconds * 1000 for _ in range(LOAD_RUNS)]
    engine = FaceEngine(FaceModels.load())
    renderer = SceneRenderer(seed=0)
    frames = [
        renderer.frame("cooperative", i / 15, ("left", "right"), i) for i in range(args.frames)
    ]
    chip = decode_image(card_photo_jpeg("astronaut"))

    def detect_and_embed(frame: BgrImage) -> None:
        for face in engine.detect(frame):
            engine.embed(frame, face)

    engine.detect(frames[0])  # warm-up: first inference allocates
    detect_and_embed(frames[0])
    detect = [_timed(functools.partial(engine.detect, frame)) for frame in frames]
    both = [_timed(functools.partial(detect_and_embed, frame)) for frame in frames]
    chip_detect = [_timed(functools.partial(engine.detect, chip)) for _ in frames]

    print(f"OpenCV {cv2.__version__}, {frames[0].shape[1]}x{frames[0].shape[0]} frames")
    print(f"{'step':<34} {'median':>8} {'min':>8} {'max':>8}  ms")
    print(f"{'load both models (hash + parse)':<34} {_ms(loads)}")
    print(f"{'detect (YuNet), 640x480 frame':<34} {_ms(detect)}")
    print(f"{'detect + embed (SFace), 640x480':<34} {_ms(both)}")
    print(f"{'detect, 102x126 chip photo':<34} {_ms(chip_detect)}")

    images: dict[str, BgrImage] = {
        "astronaut portrait": load_portrait("astronaut"),
        "astronaut chip JPEG": chip,
        "astronaut live frame": frames[0],
        "astronaut turned 45° left": renderer.pose("astronaut", 45),
        "astronaut turned 45° right": renderer.pose("astronaut", -45),
        "photographer portrait": load_portrait("photographer"),
        "photographer chip JPEG": decode_image(card_photo_jpeg("photographer")),
    }
    features = {name: engine.reference_from_image(image).features for name, image in images.items()}
    names = list(images)
    print(f"\ncosine (FR_COSINE), opencv_zoo same-person threshold {SFACE_SAME_PERSON_COSINE}")
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            same = first.split()[0] == second.split()[0]
            score = engine.match(features[first], features[second])
            verdict = "genuine " if same else "impostor"
            print(f"  {verdict} {score:6.3f}  {first} / {second}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
