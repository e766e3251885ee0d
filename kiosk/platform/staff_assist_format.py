"""Formats of hall staff's credentials for staff assist (platform-api.md v1.2 §3).

``staff_id`` is 1..16 ASCII letters or digits, matched case-insensitively by the platform;
``staff_pin`` is 4..12 ASCII digits. The platform answers a value out of format with 400
``bad_request``, so the kiosk checks here first and never sends one. Explicit ASCII classes,
not ``\\w``/``\\d`` (which match other scripts' letters and digits), and ``fullmatch`` (a ``$``
would let a trailing newline through). No Qt: the staff form and any core code share it.
"""

from __future__ import annotations

import re

STAFF_ID_MIN = 1
STAFF_ID_MAX = 16
STAFF_PIN_MIN = 4
STAFF_PIN_MAX = 12

STAFF_ID_PATTERN = re.compile(rf"[A-Za-z0-9]{{{STAFF_ID_MIN},{STAFF_ID_MAX}}}")
STAFF_PIN_PATTERN = re.compile(rf"[0-9]{{{STAFF_PIN_MIN},{STAFF_PIN_MAX}}}")
_ID_CHARACTER = re.compile(r"[A-Za-z0-9]")
_PIN_CHARACTER = re.compile(r"[0-9]")


def is_staff_id(text: str) -> bool:
    """Whether ``text`` is a staff id in the spec's format (either case)."""
    return STAFF_ID_PATTERN.fullmatch(text) is not None


def is_staff_pin(text: str) -> bool:
    """Whether ``text`` is a staff PIN in the spec's format."""
    return STAFF_PIN_PATTERN.fullmatch(text) is not None


def is_sendable(staff_id: str, staff_pin: str) -> bool:
    """Whether the pair may be sent to the platform: both in format."""
    return is_staff_id(staff_id) and is_staff_pin(staff_pin)


def canonical_staff_id(staff_id: str) -> str:
    """The id as the kiosk shows and sends it: upper case (the platform ignores case).

    Raises:
        ValueError: ``staff_id`` is out of format (upper-casing is only safe on ASCII).
    """
    if not is_staff_id(staff_id):
        raise ValueError("not a staff id in the spec's format")
    return staff_id.upper()


def type_into_staff_id(typed: str, key: str) -> str:
    """``typed`` after one key: a letter (upper-cased) or digit is added while there is room;
    anything else, or a 17th character, is refused (the text comes back unchanged)."""
    if len(typed) < STAFF_ID_MAX and _ID_CHARACTER.fullmatch(key):
        return typed + key.upper()
    return typed


def type_into_pin(typed: str, key: str) -> str:
    """``typed`` after one key: a digit is added while there is room, anything else refused."""
    if len(typed) < STAFF_PIN_MAX and _PIN_CHARACTER.fullmatch(key):
        return typed + key
    return typed
