"""Typed failures of the face check. None carries an image, a crop or features."""

from __future__ import annotations

from kiosk.errors import FaceCheckUnavailable


class FaceError(FaceCheckUnavailable):
    """Base of every face-check failure: the resident uses another way."""


class FaceModelError(FaceError):
    """A model file is missing, differs from its pinned SHA-256, or OpenCV cannot load it.

    The kiosk then offers the other second factors; staff diagnostics show the message.
    """


class ReferencePhotoError(FaceError):
    """The card photo cannot serve as the reference: ``reason`` says why."""

    reason = "unusable"


class PhotoUnreadable(ReferencePhotoError):
    """The photo's bytes do not decode as an image OpenCV reads (JPEG, PNG, BMP...)."""

    reason = "unreadable"


class NoFaceInPhoto(ReferencePhotoError):
    """The detector finds no face in the card photo (old, faded or damaged photos do this)."""

    reason = "no_face"


class SeveralFacesInPhoto(ReferencePhotoError):
    """The card photo holds more than one face: which one is the holder is not ours to guess."""

    reason = "several_faces"
