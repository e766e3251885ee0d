"""Formats of hall staff's credentials (platform-api.md v1.2 §3): the table of the spec's own
examples and edges, then properties over any text a keypad (or a bug) could produce."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.platform import staff_assist_format as fmt

ID_CHARACTERS = string.ascii_letters + string.digits


@pytest.mark.parametrize(
    ("staff_id", "ok"),
    [
        ("ST001", True),  # the spec's examples
        ("100001", True),
        ("st001", True),  # matched case-insensitively: lower case is in format too
        ("7", True),  # one character is enough
        ("A" * 16, True),
        ("A" * 17, False),
        ("", False),
        ("ST 001", False),
        ("ST-001", False),
        ("ST001\n", False),  # a regex `$` would let a trailing newline through
        ("ＳＴ００１", False),  # full-width letters and digits are not ASCII
        ("١٢٣", False),  # Arabic-Indic digits: `\d` would take them
        ("ß", False),
    ],
)
def test_staff_ids_follow_the_spec(staff_id: str, ok: bool) -> None:
    assert fmt.is_staff_id(staff_id) is ok


@pytest.mark.parametrize(
    ("pin", "ok"),
    [
        ("2468", True),
        ("13579", True),
        ("246810", True),
        ("246801357913", True),  # 12 digits
        ("2468013579135", False),  # 13
        ("246", False),
        ("", False),
        ("24a8", False),
        ("2468\n", False),
        ("２４６８", False),
        ("٢٤٦٨", False),
    ],
)
def test_staff_pins_follow_the_spec(pin: str, ok: bool) -> None:
    assert fmt.is_staff_pin(pin) is ok


def test_the_limits_are_the_specs() -> None:
    assert (fmt.STAFF_ID_MIN, fmt.STAFF_ID_MAX) == (1, 16)
    assert (fmt.STAFF_PIN_MIN, fmt.STAFF_PIN_MAX) == (4, 12)


def test_a_pair_is_sendable_only_when_both_are_in_format() -> None:
    assert fmt.is_sendable("st001", "13579")
    assert not fmt.is_sendable("st001", "135")
    assert not fmt.is_sendable("", "13579")
    assert not fmt.is_sendable("S" * 17, "13579")


def test_ids_are_shown_and_sent_in_upper_case() -> None:
    assert fmt.canonical_staff_id("st001") == "ST001"
    assert fmt.canonical_staff_id("100001") == "100001"
    with pytest.raises(ValueError, match="staff id"):
        fmt.canonical_staff_id("st 001")


@given(st.text(alphabet=ID_CHARACTERS, min_size=1, max_size=16))
def test_every_id_of_letters_and_digits_up_to_16_is_in_format(staff_id: str) -> None:
    assert fmt.is_staff_id(staff_id)
    canonical = fmt.canonical_staff_id(staff_id)
    assert canonical == staff_id.upper() and fmt.is_staff_id(canonical)


@given(st.text())
def test_any_text_is_an_id_exactly_when_it_is_1_to_16_ascii_letters_or_digits(text: str) -> None:
    expected = 1 <= len(text) <= 16 and all(ch in ID_CHARACTERS for ch in text)
    assert fmt.is_staff_id(text) is expected


@given(st.text())
def test_any_text_is_a_pin_exactly_when_it_is_4_to_12_ascii_digits(text: str) -> None:
    expected = 4 <= len(text) <= 12 and all(ch in string.digits for ch in text)
    assert fmt.is_staff_pin(text) is expected


@given(st.text(alphabet=ID_CHARACTERS, max_size=20), st.sampled_from(ID_CHARACTERS))
def test_typing_one_more_character_never_leaves_the_format(typed: str, key: str) -> None:
    """What the keypad may add: a character while there is room, nothing once 16 are in."""
    typed = typed[: fmt.STAFF_ID_MAX]
    after = fmt.type_into_staff_id(typed, key)
    if len(typed) < fmt.STAFF_ID_MAX:
        assert after == typed + key.upper()
    else:
        assert after == typed
    assert fmt.is_staff_id(after)


def test_typing_refuses_what_is_not_a_letter_or_digit() -> None:
    assert fmt.type_into_staff_id("ST", " ") == "ST"
    assert fmt.type_into_staff_id("ST", "é") == "ST"
    assert fmt.type_into_staff_id("ST", "٣") == "ST"
    assert fmt.type_into_staff_id("ST", "ab") == "ST"  # one key is one character
    assert fmt.type_into_pin("1234", "5") == "12345"
    assert fmt.type_into_pin("1" * 12, "5") == "1" * 12
    assert fmt.type_into_pin("12", "a") == "12"
