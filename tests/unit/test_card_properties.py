"""Property-based tests: whatever bytes a card (or a forger) supplies, only typed errors escape.

The TLV parser, the EF.HOLDER and EF.SOD decoders, the whole ``check_card`` and the ID
number validator get random and truncated input; anything but ``TlvError`` / ``CardInvalid``
(``CardCommunicationError`` in ``devices``) is a bug.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices import rid_card
from devices.card_reader import Response
from devices.errors import CardCommunicationError, DeviceError
from devices.rid_card import CardFiles
from kiosk.card.identity import (
    Holder,
    TlvError,
    check_card,
    id_check_char,
    parse_single,
    parse_tlv,
    parse_tlvs,
    validate_id_number,
)
from kiosk.errors import CardInvalid
from simulators.card_factory import (
    FID_CARDCERT,
    FID_HOLDER,
    FID_SOD,
    IssuerCA,
    holder_file,
    issue_card,
    make_issuer_ca,
    tlv,
)
from simulators.residents import ZHANG_WEI, make_id_number

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
ISSUER: IssuerCA = make_issuer_ca()
GENUINE = issue_card(ZHANG_WEI, ISSUER, today=TODAY)
FILES = CardFiles(GENUINE.files[FID_HOLDER], GENUINE.files[FID_CARDCERT], GENUINE.files[FID_SOD])

# Tags the parsers care about, so random TLVs hit the interesting paths and not only noise.
_tags = st.sampled_from([0x61, 0x77, 0x80, 0x81, 0x84, 0x85, 0xDF01, 0xDF09, 0x5F2E, 0xDF20])


@st.composite
def tlv_trees(draw: st.DrawFn, depth: int = 2) -> bytes:
    """Well-formed BER-TLV, possibly nested, with the profile's tags and random values."""
    tag = draw(_tags)
    if depth > 0 and draw(st.booleans()):
        value = b"".join(draw(st.lists(tlv_trees(depth=depth - 1), max_size=4)))
    else:
        value = draw(st.binary(max_size=300))
    return tlv(tag, value)


def mutations(base: bytes) -> st.SearchStrategy[bytes]:
    """``base`` truncated, extended or with bytes flipped: nearly-right files."""
    truncated = st.integers(0, len(base)).map(lambda n: base[:n])
    extended = st.binary(min_size=1, max_size=8).map(lambda extra: base + extra)
    flipped = st.tuples(st.integers(0, len(base) - 1), st.integers(1, 255)).map(
        lambda p: base[: p[0]] + bytes([base[p[0]] ^ p[1]]) + base[p[0] + 1 :]
    )
    return st.one_of(truncated, extended, flipped)


any_bytes = st.one_of(st.binary(max_size=600), tlv_trees())


@given(any_bytes, st.integers(0, 10))
def test_parse_tlv_only_raises_tlv_error(data: bytes, pos: int) -> None:
    try:
        item, end = parse_tlv(data, pos)
    except TlvError:
        return
    assert pos < end <= len(data)
    assert len(item.value) <= end - pos


@given(any_bytes)
def test_parse_tlvs_and_children_only_raise_tlv_error(data: bytes) -> None:
    try:
        for item in parse_tlvs(data):
            if item.constructed:
                item.children()
    except TlvError:
        pass


@given(tlv_trees())
def test_well_formed_tlv_round_trips_and_every_truncation_fails(data: bytes) -> None:
    item = parse_single(data, data[0] if data[0] & 0x1F != 0x1F else parse_tlv(data)[0].tag)
    assert tlv(item.tag, item.value) == data
    for n in range(len(data)):
        with pytest.raises(TlvError):
            parse_single(data[:n], item.tag)


@given(st.one_of(any_bytes, mutations(GENUINE.files[FID_HOLDER])))
def test_holder_decoder_only_raises_card_invalid(data: bytes) -> None:
    reason = None
    try:
        Holder.from_file(data)
    except CardInvalid as exc:
        reason = exc.reason
    assert reason in {None, "malformed_data"}


@given(st.one_of(any_bytes, st.binary(max_size=40)))
def test_tlv_total_length_only_raises_communication_error(data: bytes) -> None:
    try:
        total = rid_card.tlv_total_length(data)
    except CardCommunicationError:
        return
    if total is not None and len(data) >= total:
        assert parse_tlv(data)[1] == total


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["holder", "card_cert", "sod"]).flatmap(
        lambda name: st.tuples(st.just(name), st.one_of(any_bytes, mutations(getattr(FILES, name))))
    ),
    st.binary(min_size=0, max_size=80),
)
@pytest.mark.expect_log("kiosk.card.identity")
def test_check_card_only_raises_card_invalid(change: tuple[str, bytes], signature: bytes) -> None:
    name, data = change
    files = CardFiles(**{**FILES.__dict__, name: data})
    with pytest.raises(CardInvalid):
        check_card(
            files,
            signature=signature,
            challenge=b"\x00" * 32,
            trust_anchors=[ISSUER.cert_der, b"not a certificate"],
            today_cst=TODAY,
            now=NOW,
        )


@given(st.text(max_size=25))
def test_id_validator_only_raises_card_invalid(text: str) -> None:
    try:
        validate_id_number(text)
    except CardInvalid:
        pass
    else:
        # Only ASCII digits: "\\d" would also let other scripts' digits through.
        assert text.isascii()
    with contextlib.suppress(CardInvalid):
        id_check_char(text)


@given(st.text(alphabet="0123456789X٣٢१੧", min_size=18, max_size=18))
def test_id_validator_on_id_shaped_text(text: str) -> None:
    try:
        validate_id_number(text)
    except CardInvalid:
        return
    assert text.isascii() and id_check_char(text[:17]) == text[17]


digits = st.text(alphabet="0123456789", min_size=3, max_size=3)


@given(
    st.sampled_from(["110101", "321102", "440305", "650102", "820000"]),
    st.dates(dt.date(1900, 1, 1), dt.date(2026, 1, 1)),
    digits,
)
def test_valid_id_numbers_pass_and_any_single_change_fails(
    region: str, birth: dt.date, sequence: str
) -> None:
    number = make_id_number(region, birth.strftime("%Y%m%d"), sequence)
    validate_id_number(number, birth)
    validate_id_number(number)
    for i in range(18):
        for replacement in "0123456789X":
            if replacement == number[i] or (i < 17 and replacement == "X"):
                continue
            changed = number[:i] + replacement + number[i + 1 :]
            # MOD 11-2 catches every single-character substitution.
            with pytest.raises(CardInvalid) as info:
                validate_id_number(changed, birth)
            assert info.value.reason in {"id_check_char", "birth_date_mismatch", "unknown_region"}


@given(st.text(max_size=20), st.dates())
def test_holder_with_random_id_number_only_raises_card_invalid(text: str, birth: dt.date) -> None:
    resident = dataclasses.replace(ZHANG_WEI, id_number=text, birth_date=birth.strftime("%Y%m%d"))
    try:
        holder = Holder.from_file(holder_file(resident))
        validate_id_number(holder.id_number, holder.birth_date)
    except CardInvalid:
        pass


class RandomCard:
    """A CardConnection answering random status words and data: a broken or hostile card."""

    def __init__(self, answers: list[tuple[bytes, int]]) -> None:
        self.answers = answers

    def transmit(self, apdu: bytes) -> Response:
        if not self.answers:
            return Response(b"", 0x6F, 0x00)
        data, sw = self.answers.pop(0)
        return Response(data, sw >> 8, sw & 0xFF)

    def close(self) -> None:
        pass


status_words = st.one_of(
    st.sampled_from([0x9000, 0x6282, 0x6B00, 0x6A82, 0x6A86, 0x6700, 0x6D00]),
    st.integers(0x6100, 0x61FF),
    st.integers(0x6C00, 0x6CFF),
    st.integers(0, 0xFFFF),
)


@settings(max_examples=300)
@given(st.lists(st.tuples(st.binary(max_size=300), status_words), max_size=40))
def test_reading_a_random_card_only_raises_device_errors(
    answers: list[tuple[bytes, int]],
) -> None:
    try:
        files = rid_card.read_identity_files(RandomCard(answers))
    except DeviceError:
        return
    for data in (files.holder, files.card_cert, files.sod):
        assert parse_tlv(data)[1] == len(data)
