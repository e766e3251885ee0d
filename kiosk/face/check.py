"""One face-check attempt: the head-turn challenge over a camera's frames, then one comparison.

Platform-api §3b: one attempt is one liveness run plus one comparison, and the score is that
of one frame chosen *before* comparing, never the best of several. The frame compared is the
one that completes the challenge: the third consecutive frame facing the camera after both
turns, one face, the same face as at the start. If the liveness run fails nothing is
compared and the score is 0 (the platform rejects the attempt whatever the score).

What is kept: nothing. Frames, the aligned crop and features exist only while ``run`` runs;
``run`` clears its locals and the challenge's features in a ``finally``, clears the locals of
the calls an exception passed through (its traceback would otherwise keep the last frame
alive), asks the engine to overwrite its networks' buffers and lets go of the reference. The
result holds numbers and reasons only. The caller drops its ``Reference`` and stops the
camera (which drops its last frame) when the attempt returns.

Runs on the face lane (the thread that owns the ``FaceEngine``); ``cancel`` may be called
from any thread. ``on_prompt`` is called on the face lane: post it to the GUI thread.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
import time
import traceback
from collections.abc import Callable
from typing import Protocol

from kiosk.face.engine import BgrImage, FaceEngine, Features, Reference
from kiosk.face.landmarks import Face
from kiosk.face.liveness import CHALLENGE_TIMEOUT_S, HeadTurnChallenge, Progress, random_order
from kiosk.face.vocabulary import Direction, FailReason, Prompt

# Longer than this without a new frame and the camera is gone (the source raises): a USB
# camera sends 10-30 frames a second, an IP camera's stream stalls for well under this.
FRAME_TIMEOUT_S = 2.0
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class SourceFrame(Protocol):
    """A camera frame (``devices.camera.Frame`` is one)."""

    @property
    def image(self) -> BgrImage: ...

    @property
    def seq(self) -> int: ...

    @property
    def timestamp(self) -> float: ...


class FrameSource(Protocol):
    """Where frames come from (``devices.camera.Camera`` is one)."""

    def next_frame(self, after: int, timeout_s: float) -> SourceFrame:
        """The newest frame whose ``seq`` is greater than ``after``, waiting up to
        ``timeout_s``; raises (``devices.errors.CameraUnavailable``) when none comes."""
        ...


@dataclasses.dataclass(frozen=True)
class AttemptResult:
    """What one attempt reports: numbers and reasons, no image and no features.

    Attributes:
        score: cosine of the compared frame's face with the card photo's (-1..1); 0 when the
            liveness run failed (nothing was compared).
        liveness_passed: the head-turn challenge passed.
        liveness_reason: why it failed (``FailReason``); None when it passed.
        reference_sha256: the card photo's hash, as given (for the platform's body).
        frames_seen: frames taken from the camera.
        elapsed: seconds from ``run`` to the result.
        order: the order of the turns asked.
    """

    score: float
    liveness_passed: bool
    liveness_reason: FailReason | None
    reference_sha256: str
    frames_seen: int
    elapsed: float
    order: tuple[Direction, Direction]


class FaceAttempt:
    """One attempt against one card photo: create, ``run`` once, report the result."""

    def __init__(
        self,
        engine: FaceEngine,
        reference: Reference,
        reference_sha256: str,
        *,
        order: tuple[Direction, Direction] | None = None,
        timeout_s: float = CHALLENGE_TIMEOUT_S,
        frame_timeout_s: float = FRAME_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not _SHA256_HEX.fullmatch(reference_sha256):
            raise ValueError("reference_sha256 is 64 lowercase hex digits (platform-api §3b)")
        self._engine = engine
        self._reference: Reference | None = reference
        self._reference_sha256 = reference_sha256
        self.order = order or random_order()
        self._timeout_s = timeout_s
        self._frame_timeout_s = frame_timeout_s
        self._clock = clock
        self._cancelled = threading.Event()
        self._ran = False

    def _embed_into(self, memo: dict[Face, Features], image: BgrImage, face: Face) -> Features:
        """Features of ``face`` for the challenge, kept in ``memo`` for this frame only, so
        the frame that completes the challenge is not embedded twice."""
        memo[face] = self._engine.embed(image, face)
        return memo[face]

    def cancel(self) -> None:
        """Stop the run at the next frame (from any thread); it returns ``CANCELLED``."""
        self._cancelled.set()

    def run(
        self, source: FrameSource, on_prompt: Callable[[Prompt], None] | None = None
    ) -> AttemptResult:
        """Run the challenge over ``source``'s frames, then compare the chosen frame.

        ``on_prompt`` gets each new prompt (what to ask the resident) as it changes.

        Raises:
            Whatever ``source.next_frame`` raises (``devices.errors.CameraUnavailable``).
            RuntimeError: The attempt already ran (one attempt, one run).
        """
        if self._ran:
            raise RuntimeError("a FaceAttempt runs once: one attempt is one liveness run")
        self._ran = True
        started = self._clock()
        challenge = HeadTurnChallenge(self.order, timeout_s=self._timeout_s)
        frame: SourceFrame | None = None
        image: BgrImage | None = None
        memo: dict[Face, Features] = {}
        frames_seen, last_seq, shown = 0, -1, None
        progress: Progress | None = None
        score = 0.0
        try:
            while progress is None or not progress.finished:
                if self._cancelled.is_set():
                    break
                frame = source.next_frame(last_seq, self._frame_timeout_s)
                last_seq, frames_seen, image = frame.seq, frames_seen + 1, frame.image
                memo.clear()
                progress = challenge.observe(
                    self._engine.detect(image),
                    frame.timestamp,
                    functools.partial(self._embed_into, memo, image),
                )
                if on_prompt is not None and progress.prompt is not shown and not progress.finished:
                    shown = progress.prompt
                    on_prompt(shown)
            if progress is not None and progress.passed and progress.face is not None:
                assert image is not None and self._reference is not None
                live = memo.get(progress.face)
                if live is None:
                    live = self._engine.embed(image, progress.face)
                score = self._engine.match(live, self._reference.features)
                live = None
        except BaseException as error:
            # The traceback keeps every frame's locals (images, crops, features) alive for as
            # long as the exception is kept: clear those of the calls that raised.
            traceback.clear_frames(error.__traceback__)
            raise
        finally:
            frame = image = None
            memo.clear()
            challenge.forget()
            self._engine.forget()
            self._reference = None
        passed = progress is not None and progress.passed
        if passed:
            reason = None
        elif progress is not None and progress.reason is not None:
            reason = progress.reason
        else:
            reason = FailReason.CANCELLED
        return AttemptResult(
            score=score,
            liveness_passed=passed,
            liveness_reason=reason,
            reference_sha256=self._reference_sha256,
            frames_seen=frames_seen,
            elapsed=self._clock() - started,
            order=self.order,
        )
