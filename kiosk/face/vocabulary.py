"""The head-turn challenge's words: which way to turn, what to ask, why it failed.

Plain enums with no numpy or OpenCV behind them, so the screens and the voice prompts (which
load at the kiosk's start) can name them without loading the face engine.
"""

from __future__ import annotations

import enum


class Direction(enum.StrEnum):
    """A turn of the head, named from the resident's own point of view."""

    LEFT = "left"
    RIGHT = "right"


class Prompt(enum.StrEnum):
    """What to ask the resident now."""

    FACE_STRAIGHT = "face_straight"
    TURN_LEFT = "turn_left"  # to the resident's own left
    TURN_RIGHT = "turn_right"


class Status(enum.StrEnum):
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"


class FailReason(enum.StrEnum):
    """Why a challenge failed (goes to the audit and the result; never personal)."""

    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    DIFFERENT_FACE = "different_face"
    FROZEN = "frozen"
    TOO_SLOW = "too_slow"
    WRONG_DIRECTION = "wrong_direction"
    # Not the challenge's own: the kiosk stopped the attempt (card taken out, session over).
    CANCELLED = "cancelled"
