"""The vendor-library reader back-end against the certified-reader simulator's C libraries.

``simulators/certified_reader`` builds (with gcc, cached) a stand-in sdtapi library and a
stand-in photo decoder. Through the real ctypes path they play: each document a certified
reader reads (resident ID card, HMT residence permit, foreigner's permanent residence card of
both kinds), an unknown document type, no card, a card removed mid-read, failure codes, a
security module that refuses or fails, calls that hang past the time limit, garbage answers,
and photos that decode, do not decode, or hang the decoder.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import dataclasses
import datetime as dt
import hashlib
import logging
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.card_reader import (
    CardInserted,
    CardRemoved,
    CertifiedReading,
    ReaderReady,
    ReaderUnavailable,
    SecurityModuleText,
)
from devices.errors import (
    CardAlreadyRead,
    CardCommunicationError,
    DeviceError,
    DeviceUnavailable,
    NoReader,
    NotAnIdCard,
    PhotoNotDecodable,
    ReaderNotResponding,
    SecurityModuleRejected,
    VendorLibraryError,
)
from devices.errors import CardRemoved as CardRemovedError
from devices.vendor_reader import (
    SdtApi,
    VendorCardReader,
    WltDecoder,
    check_bitmap,
    decode_text_block,
)
from kiosk.card.identity import (
    VERIFIED_BY_SECURITY_MODULE,
    Holder,
    holder_from_security_module,
    today_in_china,
)
from kiosk.errors import CardInvalid
from simulators.card_factory import (
    expired_resident,
    holder_file,
    make_photo_jpeg,
    security_module_block,
    wrong_check_char_resident,
)
from simulators.certified_reader import (
    CARD_KINDS,
    DECODER_MODES,
    DEFAULT_CARDS,
    READER_MODES,
    CertifiedReaderSimulator,
    CompilerNotFound,
    SdtapiStub,
    StubBuildError,
    StubLibraries,
    WltStub,
    build_libraries,
    chip_photo,
    photo_block,
    text_block,
)
from simulators.certified_reader import build as stub_build
from simulators.residents import WANG_XIUYING, ZHANG_WEI
from tests.support.kiosk import CardEvents

CALL_TIMEOUT_S = 0.5
REPO = Path(__file__).resolve().parents[2]
# SHA-256 of the stand-in photo block of photo id 1 (the resident ID card's): pins the
# simulator's block encoding, which the C stub and simulators.certified_reader share.
PHOTO_1_SHA256 = "669bc661f04cbc6a2285e9b4d6d9afced9c854f43ca666dee278b47e7c16282b"
DOCUMENT_OF_KIND = {
    "resident_id": "resident_id",
    "hmt_residence_permit": "hmt_residence_permit",
    "foreign_permanent_resident": "foreign_permanent_resident",
    "foreign_permanent_resident_pre2023": "foreign_permanent_resident",
}


@pytest.fixture
def stub(sim: CertifiedReaderSimulator) -> SdtapiStub:
    return sim.reader


@pytest.fixture
def wlt(sim: CertifiedReaderSimulator) -> WltStub:
    return sim.decoder


@pytest.fixture
def events() -> CardEvents:
    return CardEvents()


@pytest.fixture
def start_reader(
    libraries: StubLibraries, sim: CertifiedReaderSimulator, events: CardEvents
) -> Iterator[Callable[..., VendorCardReader]]:
    readers: list[VendorCardReader] = []

    def start(**kwargs: Any) -> VendorCardReader:
        options: dict[str, Any] = {
            "port": 1001,
            "poll_interval_s": 0.02,
            "call_timeout_s": CALL_TIMEOUT_S,
            "max_backoff_s": 0.2,
            "decoder_library": libraries.wlt,
        } | kwargs
        reader = VendorCardReader(libraries.sdtapi, **options)
        reader.start(events.put)
        readers.append(reader)
        return reader

    yield start
    sim.reader.set_mode("normal")
    sim.decoder.set_mode("normal")
    for reader in readers:
        reader.stop()


@pytest.fixture
def decoders(
    libraries: StubLibraries, sim: CertifiedReaderSimulator
) -> Iterator[Callable[..., WltDecoder]]:
    made: list[WltDecoder] = []

    def make(**kwargs: Any) -> WltDecoder:
        decoder = WltDecoder(libraries.wlt, **({"timeout_s": CALL_TIMEOUT_S} | kwargs))
        made.append(decoder)
        return decoder

    yield make
    sim.decoder.set_mode("normal")
    for decoder in made:
        decoder.close()


def name_of(reader: VendorCardReader) -> str:
    return reader.reader_name


def expected_holder() -> Holder:
    rid1 = Holder.from_file(holder_file(ZHANG_WEI))
    return dataclasses.replace(rid1, verified_by=VERIFIED_BY_SECURITY_MODULE)


def today() -> dt.date:
    return today_in_china()


def read_card(reader: VendorCardReader, events: CardEvents, stub: SdtapiStub) -> CertifiedReading:
    """Place the card set up in the stub on the reader and read it."""
    stub.set_present(True)
    events.expect(CardInserted(name_of(reader), b""))
    return reader.read_identity()


def wait_until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def bmp_header(image: bytes) -> dict[str, int | bytes]:
    names: tuple[str, ...] = ("magic", "size", "r1", "r2", "offset", "header", "width")
    names += ("height", "planes", "bits", "compression", "image_size")
    return dict(zip(names, struct.unpack_from("<2sIHHIIiiHHII", image), strict=True))


def expected_text(kind: str) -> SecurityModuleText:
    fields = {
        k: v for k, v in DEFAULT_CARDS[kind].items() if k not in ("card_version", "authority_code")
    }
    blank = dict.fromkeys(
        ("ethnicity", "address", "issuing_authority", "name", "sex", "birth_date"), ""
    )
    return SecurityModuleText(**(blank | fields), document=DOCUMENT_OF_KIND[kind])


# ------------------------------------------------------------------------- normal card


def test_card_placed_read_once_and_removed_repeatedly(
    start_reader: Callable[..., VendorCardReader], stub: SdtapiStub, events: CardEvents
) -> None:
    reader = start_reader()
    name = name_of(reader)
    events.none_within(0.2)  # no card: no event
    with pytest.raises(CardRemovedError):
        reader.read_identity()

    for _ in range(3):
        stub.set_present(True)
        events.expect(CardInserted(name, b""))
        reading = reader.read_identity()
        holder = holder_from_security_module(reading.text, today_cst=today())
        assert holder == expected_holder()
        assert holder.verified_by == VERIFIED_BY_SECURITY_MODULE
        # Lying on the reader it is not read again, and starts no new session.
        with pytest.raises(CardAlreadyRead):
            reader.read_identity()
        events.none_within(0.2)
        stub.set_present(False)
        events.expect(CardRemoved(name))


def test_stub_default_card_matches_the_simulator_layout(
    start_reader: Callable[..., VendorCardReader], stub: SdtapiStub, events: CardEvents
) -> None:
    reader = start_reader()
    reading = read_card(reader, events, stub)
    assert reading.text == decode_text_block(security_module_block(ZHANG_WEI))
    assert reading.text.document == "resident_id"
    for shown in (repr(reading.text), repr(reading), str(reading)):
        assert ZHANG_WEI.id_number not in shown and ZHANG_WEI.name not in shown


def test_card_without_expiry_and_given_card(
    start_reader: Callable[..., VendorCardReader], stub: SdtapiStub, events: CardEvents
) -> None:
    stub.set_card(security_module_block(WANG_XIUYING))
    reader = start_reader()
    holder = holder_from_security_module(read_card(reader, events, stub).text, today_cst=today())
    assert holder.valid_until is None  # 长期
    assert holder.id_number == WANG_XIUYING.id_number


@pytest.mark.parametrize(
    ("resident", "reason"),
    [
        (expired_resident(ZHANG_WEI), "card_expired"),
        (wrong_check_char_resident(ZHANG_WEI), "id_check_char"),
        (dataclasses.replace(ZHANG_WEI, birth_date="19870316"), "birth_date_mismatch"),
        (dataclasses.replace(ZHANG_WEI, sex="9"), "malformed_data"),
    ],
    ids=["expired", "check_char", "birth_date", "sex"],
)
def test_terminal_checks_still_apply(
    start_reader: Callable[..., VendorCardReader],
    stub: SdtapiStub,
    events: CardEvents,
    resident: Any,
    reason: str,
) -> None:
    stub.set_card(security_module_block(resident))
    reader = start_reader()
    reading = read_card(reader, events, stub)
    with pytest.raises(CardInvalid) as info:
        holder_from_security_module(reading.text, today_cst=today())
    assert info.value.reason == reason


# ------------------------------------------------------------------------- documents


@pytest.mark.parametrize("kind", list(DOCUMENT_OF_KIND))
def test_each_document_is_decoded(
    start_reader: Callable[..., VendorCardReader],
    sim: CertifiedReaderSimulator,
    events: CardEvents,
    kind: str,
) -> None:
    reader = start_reader()
    photo_id = sim.place_card(kind)
    events.expect(CardInserted(name_of(reader), b""))
    reading = reader.read_identity()

    assert reading.text == expected_text(kind)
    assert reading.photo_block == photo_block(photo_id)
    shown = repr(reading) + repr(reading.text)
    for value in DEFAULT_CARDS[kind].values():
        if len(value) > 3:  # sex, issue count and nationality codes say nothing alone
            assert value not in shown


def test_document_fields(
    start_reader: Callable[..., VendorCardReader],
    sim: CertifiedReaderSimulator,
    events: CardEvents,
) -> None:
    reader = start_reader()
    texts = {}
    for kind in DOCUMENT_OF_KIND:
        sim.place_card(kind)
        events.expect(CardInserted(name_of(reader), b""))
        texts[kind] = reader.read_identity().text
        sim.remove_card()
        events.expect(CardRemoved(name_of(reader)))

    hmt = texts["hmt_residence_permit"]
    assert (hmt.document, hmt.id_number[:2], hmt.ethnicity) == ("hmt_residence_permit", "81", "")
    assert (hmt.permit_number, hmt.issue_count, hmt.address[:3]) == ("H12345678", "01", "广东省")
    new = texts["foreign_permanent_resident"]
    assert (new.document, new.id_number, new.english_name, new.nationality, new.name) == (
        "foreign_permanent_resident",
        "911208198507260025",
        "ANDERSEN, LINNEA",
        "DNK",
        "安琳娜",
    )
    assert (new.address, new.ethnicity, new.issuing_authority, new.birth_date) == (
        "",
        "",
        "",
        "19850726",
    )
    old = texts["foreign_permanent_resident_pre2023"]
    # The pre-2023 kind: a 15-character number (the kiosk refuses it, not the reader).
    assert old.document == "foreign_permanent_resident"
    assert old.id_number == "DNK110085072602" and len(old.id_number) == 15
    assert (old.valid_from, old.valid_until, old.birth_date) == ("20170601", "20270601", "19850726")


@pytest.mark.parametrize("kind", [*DOCUMENT_OF_KIND, "unknown_document"])
def test_stub_blocks_are_the_documented_layouts(
    sim: CertifiedReaderSimulator, libraries: StubLibraries, kind: str
) -> None:
    # The raw blocks through ctypes, without the reader: the C stub's card and the Python
    # builder's agree byte for byte (each side checks the other's layout).
    photo_id = sim.place_card(kind)
    api = SdtApi(libraries.sdtapi)
    assert api.open(1001) == 0x90
    try:
        assert api.find_card(1001) == 0x9F
        text, photo = api.read_base_message(1001)
    finally:
        api.close(1001)
    assert text == text_block(kind, **DEFAULT_CARDS[kind])
    assert photo == photo_block(photo_id)


def test_given_blocks_of_each_document(
    start_reader: Callable[..., VendorCardReader], stub: SdtapiStub, events: CardEvents
) -> None:
    macao = text_block(
        "hmt_residence_permit",
        name="梁美玲",
        sex="2",
        birth_date="19951230",
        address="广东省珠海市香洲区情侣中路1号",
        id_number="820000199512300048",
        issuing_authority="珠海市公安局",
        valid_from="20230101",
        valid_until="20280101",
        permit_number="M87654321",
        issue_count="02",
    )
    stub.set_card(macao)
    reader = start_reader()
    text = read_card(reader, events, stub).text
    assert (text.document, text.id_number, text.permit_number, text.issue_count) == (
        "hmt_residence_permit",
        "820000199512300048",
        "M87654321",
        "02",
    )


def test_an_expired_foreign_card_is_read_as_given(
    start_reader: Callable[..., VendorCardReader], stub: SdtapiStub, events: CardEvents
) -> None:
    # The reader decodes; expiry is the kiosk's check.
    fields = DEFAULT_CARDS["foreign_permanent_resident"] | {"valid_until": "20200101"}
    stub.set_card(text_block("foreign_permanent_resident", **fields))
    text = read_card(start_reader(), events, stub).text
    assert text.valid_until == "20200101"


@pytest.mark.parametrize("card_type", ["Z", "A", "i", "\u3000"])
def test_unknown_document_type_is_not_an_id_card(
    start_reader: Callable[..., VendorCardReader],
    stub: SdtapiStub,
    events: CardEvents,
    card_type: str,
) -> None:
    if card_type == "Z":
        stub.set_card_kind("unknown_document")
    else:
        stub.set_card(
            text_block("resident_id", card_type=card_type, **DEFAULT_CARDS["resident_id"])
        )
    reader = start_reader()
    stub.set_present(True)
    events.expect(CardInserted(name_of(reader), b""))
    with pytest.raises(NotAnIdCard, match="card type U\\+"):
        reader.read_identity()


def test_resident_card_with_nul_type_and_short_legacy_blocks() -> None:
    fields = DEFAULT_CARDS["resident_id"]
    nul = text_block("resident_id", card_type="\x00", **fields)
    assert decode_text_block(nul) == expected_text("resident_id")
    assert decode_text_block(nul[:220]) == expected_text("resident_id")
    # Shorter than the resident ID card's fields: garbage.
    with pytest.raises(CardCommunicationError):
        decode_text_block(text_block("resident_id")[:219])


# ------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("fail_read", CardCommunicationError),
        ("auth_fail", SecurityModuleRejected),
        ("sam_fail", DeviceUnavailable),
        ("sam_unauthorized", DeviceUnavailable),
        ("unknown_card", NotAnIdCard),
        ("removed_mid_read", CardRemovedError),
        ("garbage_encoding", CardCommunicationError),
        ("garbage_control", CardCommunicationError),
        ("garbage_length", CardCommunicationError),
        ("short_text", CardCommunicationError),
        ("short_photo", CardCommunicationError),
    ],
)
def test_failures_are_typed_errors(
    start_reader: Callable[..., VendorCardReader],
    stub: SdtapiStub,
    events: CardEvents,
    mode: str,
    error: type[DeviceError],
) -> None:
    reader = start_reader()
    stub.set_present(True)
    events.expect(CardInserted(name_of(reader), b""))
    stub.set_mode(mode)

    with pytest.raises(error) as info:
        reader.read_identity()
    assert type(info.value) is error

    if mode == "removed_mid_read":
        events.expect(CardRemoved(name_of(reader)))
    if mode.startswith("sam_"):
        assert "security module failed" in str(info.value)


@pytest.mark.expect_log("devices.vendor_reader")
def test_port_that_cannot_be_opened_is_no_reader_then_recovers(
    start_reader: Callable[..., VendorCardReader], stub: SdtapiStub, events: CardEvents
) -> None:
    stub.set_mode("fail_open")
    stub.set_present(True)
    reader = start_reader()
    events.expect(ReaderUnavailable("no_reader"))
    events.none_within(0.5)  # said once, while retrying with back-off

    stub.set_mode("normal")
    events.expect(CardInserted(name_of(reader), b""))


@pytest.mark.expect_log("devices.vendor_reader")
def test_hung_read_times_out_and_the_reader_recovers(
    start_reader: Callable[..., VendorCardReader], stub: SdtapiStub, events: CardEvents
) -> None:
    reader = start_reader()
    name = name_of(reader)
    stub.set_present(True)
    events.expect(CardInserted(name, b""))
    stub.set_mode("hang_read")

    started = time.monotonic()
    with pytest.raises(ReaderNotResponding):
        reader.read_identity()
    assert time.monotonic() - started < CALL_TIMEOUT_S + 1.0
    # The poll thread finds the library still hung: the card is gone as far as we know.
    events.expect(CardRemoved(name), ReaderUnavailable("not_responding"))
    with pytest.raises(ReaderNotResponding):
        reader.read_identity()

    stub.set_mode("normal")  # the hung call returns at last
    events.expect(CardInserted(name, b""))
    reading = reader.read_identity()
    assert holder_from_security_module(reading.text, today_cst=today()).id_number


@pytest.mark.expect_log("devices.vendor_reader")
def test_stop_returns_while_the_library_hangs(
    libraries: StubLibraries, stub: SdtapiStub, events: CardEvents
) -> None:
    stub.set_mode("hang_find")
    reader = VendorCardReader(libraries.sdtapi, poll_interval_s=0.02, call_timeout_s=CALL_TIMEOUT_S)
    reader.start(events.put)
    events.expect(ReaderUnavailable("not_responding"))

    started = time.monotonic()
    reader.stop()
    assert time.monotonic() - started < CALL_TIMEOUT_S + 2.0
    stub.set_mode("normal")


def test_missing_or_wrong_library(tmp_path: Path, events: CardEvents) -> None:
    with pytest.raises(VendorLibraryError):
        VendorCardReader(tmp_path / "libnothing.so").start(events.put)
    libc = ctypes.util.find_library("c")  # a real library without the sdtapi functions
    assert libc is not None
    with pytest.raises(VendorLibraryError, match="SDT_"):
        SdtApi(libc)
    with pytest.raises(VendorLibraryError, match="unpack"):
        WltDecoder(libc)
    with pytest.raises(VendorLibraryError):
        WltDecoder(tmp_path / "libnothing.so")


def test_no_apdu_access(libraries: StubLibraries) -> None:
    with pytest.raises(DeviceUnavailable):
        VendorCardReader(libraries.sdtapi).connect()


def test_modes_from_environment(libraries: StubLibraries) -> None:
    # The stubs read their environment when loaded: check it in a fresh process.
    code = (
        "import sys\n"
        "from devices.vendor_reader import SdtApi, WltDecoder, decode_text_block\n"
        "from devices.errors import PhotoNotDecodable\n"
        "api = SdtApi(sys.argv[1])\n"
        "print(api.open(1001), api.find_card(1001))\n"
        "text, photo = api.read_base_message(1001)\n"
        "print(decode_text_block(text).id_number, photo[8])\n"
        "print(api.security_module_id(1001, port_open=True))\n"
        "decoder = WltDecoder(sys.argv[2])\n"
        "try:\n"
        "    decoder.decode(photo)\n"
        "except PhotoNotDecodable as exc:\n"
        "    print('undecodable', exc)\n"
    )
    env = {
        "STUB_IDREADER_CARD": "foreign_permanent_resident",
        "STUB_IDREADER_PRESENT": "1",
        "STUB_IDREADER_PHOTO_ID": "42",
        "STUB_IDREADER_SAM_ID": "05.02-20240101-0000000042",
        "STUB_WLT_MODE": "fail",
        "PATH": "",
    }
    out = subprocess.run(
        [sys.executable, "-c", code, str(libraries.sdtapi), str(libraries.wlt)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert out.stdout.splitlines() == [
        f"{0x90} {0x9F}",
        "911208198507260025 42",
        "05.02-20240101-0000000042",
        "undecodable the photo decoder's unpack returned 0",
    ]

    env = {"STUB_IDREADER_MODE": "fail_open", "STUB_IDREADER_PRESENT": "1", "PATH": ""}
    code = (
        "import sys; from devices.vendor_reader import SdtApi; "
        "api = SdtApi(sys.argv[1]); print(api.open(1001), api.find_card(1001))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(libraries.sdtapi)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert out.stdout.split() == [str(0x01), str(0x02)]  # open fails; find: port not open


@given(st.binary(max_size=300))
def test_decoding_random_blocks_only_raises_typed_errors(block: bytes) -> None:
    try:
        text = decode_text_block(block)
    except (CardCommunicationError, NotAnIdCard):
        return
    with contextlib.suppress(CardInvalid):
        holder_from_security_module(text, today_cst=dt.date(2026, 1, 1))


# ------------------------------------------------------------------------- security module id


def test_security_module_id_is_read_once_with_the_port_open(
    start_reader: Callable[..., VendorCardReader], stub: SdtapiStub, events: CardEvents
) -> None:
    stub.set_sam_id("05.01-20101111-0098765432")
    reader = start_reader()
    stub.set_present(True)
    events.expect(CardInserted(name_of(reader), b""))  # the port is open

    assert reader.security_module_id() == "05.01-20101111-0098765432"
    assert reader.security_module_id() == "05.01-20101111-0098765432"
    assert stub.sam_calls() == 1  # kept once read
    # Read with the port open (if_open 0), the port stays open: the reader still works.
    assert read_card_again(reader, events, stub).text.id_number == ZHANG_WEI.id_number


def read_card_again(
    reader: VendorCardReader, events: CardEvents, stub: SdtapiStub
) -> CertifiedReading:
    stub.set_present(False)
    events.expect(CardRemoved(name_of(reader)))
    return read_card(reader, events, stub)


def test_security_module_id_through_ctypes_with_and_without_an_open_port(
    libraries: StubLibraries, stub: SdtapiStub
) -> None:
    api = SdtApi(libraries.sdtapi)
    # if_open 1: the library opens the port and closes it again.
    assert api.security_module_id(1001, port_open=False) == "05.01-20101111-0012345678"
    assert api.find_card(1001) == 0x02  # closed again
    # if_open 0 with no port open: the library refuses.
    with pytest.raises(VendorLibraryError, match="0x02"):
        api.security_module_id(1001, port_open=True)


def test_security_module_id_before_start(
    libraries: StubLibraries, stub: SdtapiStub, events: CardEvents, tmp_path: Path
) -> None:
    # Enrollment and diagnostics ask before (or without) starting the reader.
    reader = VendorCardReader(libraries.sdtapi, call_timeout_s=CALL_TIMEOUT_S)
    try:
        assert reader.security_module_id() == "05.01-20101111-0012345678"
        assert SdtApi(libraries.sdtapi).find_card(1001) == 0x02  # the port was closed again
        with pytest.raises(DeviceUnavailable, match="not started"):
            reader.read_identity()
        reader.start(events.put)
        stub.set_present(True)
        events.expect(CardInserted(name_of(reader), b""))
        assert reader.read_identity().text.id_number == ZHANG_WEI.id_number
        assert stub.sam_calls() == 1
    finally:
        reader.stop()
    with pytest.raises(VendorLibraryError):
        VendorCardReader(tmp_path / "libnothing.so").security_module_id()


@pytest.mark.parametrize(
    ("mode", "sam_id", "error", "message"),
    [
        ("sam_fail", None, DeviceUnavailable, "0x60"),
        ("sam_unauthorized", None, DeviceUnavailable, "0x66"),
        ("normal", "", VendorLibraryError, "no usable SAM id"),
        ("normal", "05.01 with spaces", VendorLibraryError, "no usable SAM id"),
        ("normal", "x" * 64, None, None),
    ],
)
def test_security_module_id_failures(
    start_reader: Callable[..., VendorCardReader],
    stub: SdtapiStub,
    events: CardEvents,
    mode: str,
    sam_id: str | None,
    error: type[DeviceError] | None,
    message: str | None,
) -> None:
    if sam_id is not None:
        stub.set_sam_id(sam_id)
    reader = start_reader()
    stub.set_present(True)
    events.expect(CardInserted(name_of(reader), b""))
    stub.set_mode(mode)
    if error is None:
        assert reader.security_module_id() == sam_id
        return
    with pytest.raises(error, match=message) as info:
        reader.security_module_id()
    assert type(info.value) is error
    stub.set_mode("normal")
    stub.set_sam_id("05.01-20101111-0012345678")
    assert reader.security_module_id() == "05.01-20101111-0012345678"  # failures not kept


@pytest.mark.expect_log("devices.vendor_reader")
def test_security_module_id_of_a_reader_that_cannot_be_opened(
    start_reader: Callable[..., VendorCardReader], stub: SdtapiStub, events: CardEvents
) -> None:
    stub.set_mode("fail_open")
    reader = start_reader()
    events.expect(ReaderUnavailable("no_reader"))
    with pytest.raises(NoReader):
        reader.security_module_id()  # the port is closed: the library tries to open it

    stub.set_mode("normal")
    stub.set_present(True)
    events.expect(CardInserted(name_of(reader), b""))
    assert reader.security_module_id() == "05.01-20101111-0012345678"


@pytest.mark.expect_log("devices.vendor_reader")
def test_security_module_id_is_read_again_after_the_reader_was_lost(
    start_reader: Callable[..., VendorCardReader], stub: SdtapiStub, events: CardEvents
) -> None:
    reader = start_reader()
    stub.set_present(True)
    events.expect(CardInserted(name_of(reader), b""))
    assert reader.security_module_id() == "05.01-20101111-0012345678"

    # Another reader (another module) on the same port: the port is opened again after a
    # hang, fails to open (unplugged), then opens (plugged in).
    stub.set_mode("hang_find")
    events.expect(CardRemoved(name_of(reader)), ReaderUnavailable("not_responding"))
    stub.set_mode("fail_open")
    events.expect(ReaderUnavailable("no_reader"))
    stub.set_sam_id("05.01-20240601-0000000007")
    stub.set_mode("normal")
    events.expect(CardInserted(name_of(reader), b""))
    assert reader.security_module_id() == "05.01-20240601-0000000007"
    # Ready at start, and again once the port opened after the hang: what the idle screen
    # and the fleet's health follow.
    assert events.ready == [ReaderReady(name_of(reader))] * 2


@pytest.mark.expect_log("devices.vendor_reader")
def test_hung_security_module_id_times_out(
    start_reader: Callable[..., VendorCardReader], stub: SdtapiStub, events: CardEvents
) -> None:
    reader = start_reader()
    stub.set_present(True)
    events.expect(CardInserted(name_of(reader), b""))
    stub.set_mode("hang_sam")
    started = time.monotonic()
    with pytest.raises(ReaderNotResponding):
        reader.security_module_id()
    assert time.monotonic() - started < CALL_TIMEOUT_S + 1.0
    stub.set_mode("normal")


def test_library_without_the_security_module_id_call(libraries: StubLibraries) -> None:
    older = stub_build.compile_library(
        stub_build.SDTAPI_SOURCE, libraries.sdtapi.parent, defines=[stub_build.WITHOUT_SAMID]
    )
    assert older != libraries.sdtapi
    api = SdtApi(older)  # the other calls are there
    with pytest.raises(VendorLibraryError, match="no SDT_GetSAMIDToStr"):
        api.security_module_id(1001, port_open=False)
    reader = VendorCardReader(older, poll_interval_s=0.02, call_timeout_s=CALL_TIMEOUT_S)
    reader.start(lambda event: None)
    try:
        with pytest.raises(VendorLibraryError, match="no SDT_GetSAMIDToStr"):
            reader.security_module_id()
    finally:
        reader.stop()


# ------------------------------------------------------------------------- photos


def test_photo_block_is_returned_as_given_and_stable(
    start_reader: Callable[..., VendorCardReader], stub: SdtapiStub, events: CardEvents
) -> None:
    reader = start_reader()
    first = read_card(reader, events, stub)
    again = read_card_again(reader, events, stub)
    assert len(first.photo_block) == 1024
    assert hashlib.sha256(first.photo_block).hexdigest() == PHOTO_1_SHA256
    assert again.photo_block == first.photo_block
    assert first == again
    assert first.photo_block.hex()[:16] not in repr(first)


def test_decoded_photo_is_a_102x126_bmp(
    start_reader: Callable[..., VendorCardReader], stub: SdtapiStub, events: CardEvents
) -> None:
    reader = start_reader()
    assert reader.can_decode_photos
    reading = read_card(reader, events, stub)
    image = reader.decode_photo(reading.photo_block)

    assert len(image) == 38862
    header = bmp_header(image)
    assert header == {
        "magic": b"BM",
        "size": 38862,
        "r1": 0,
        "r2": 0,
        "offset": 54,
        "header": 40,
        "width": 102,
        "height": 126,  # bottom-up rows
        "planes": 1,
        "bits": 24,
        "compression": 0,
        "image_size": 308 * 126,
    }
    # Rows of 306 bytes padded to 308.
    assert all(image[54 + 308 * row + 306 : 54 + 308 * (row + 1)] == b"\0\0" for row in range(126))
    # No photo known for this id: the synthetic face-free bitmap, the same every time and
    # another for another id.
    assert reader.decode_photo(reading.photo_block) == image
    assert reader.decode_photo(photo_block(77)) != image


def test_given_photos_are_decoded(
    start_reader: Callable[..., VendorCardReader],
    sim: CertifiedReaderSimulator,
    events: CardEvents,
    tmp_path: Path,
) -> None:
    reader = start_reader()
    portrait = chip_photo(make_photo_jpeg("somebody invented"))
    photo_id = sim.place_card("hmt_residence_permit", photo_id=501, photo=portrait)
    events.expect(CardInserted(name_of(reader), b""))
    reading = reader.read_identity()
    assert photo_id == 501 and reading.photo_block == photo_block(501)
    assert reader.decode_photo(reading.photo_block) == portrait

    # Photos in a directory (synthetic ones: never a real person's).
    other = chip_photo(make_photo_jpeg("another invented"))
    (tmp_path / "502.bmp").write_bytes(other)
    sim.decoder.set_photo_dir(tmp_path)
    assert reader.decode_photo(photo_block(502)) == other
    check_bitmap(other)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("photo_corrupt", "unpack returned -3"),
        ("decoder_fail", "unpack returned 0"),
        ("bad_bitmap", "100x126"),
        ("bad_photo_file", "unpack returned -5"),
    ],
)
def test_undecodable_photo(
    start_reader: Callable[..., VendorCardReader],
    sim: CertifiedReaderSimulator,
    events: CardEvents,
    tmp_path: Path,
    setup: str,
    message: str,
) -> None:
    reader = start_reader()
    if setup == "photo_corrupt":
        sim.reader.set_mode("photo_corrupt")
    elif setup == "decoder_fail":
        sim.decoder.set_mode("fail")
    elif setup == "bad_bitmap":
        sim.decoder.set_mode("bad_bitmap")
    else:
        (tmp_path / "1.bmp").write_bytes(b"BM not really")
        sim.decoder.set_photo_dir(tmp_path)
    reading = read_card(reader, events, sim.reader)  # the text reads; the photo does not
    with pytest.raises(PhotoNotDecodable, match=message):
        reader.decode_photo(reading.photo_block)


def test_photo_block_of_the_wrong_size_is_not_given_to_the_decoder(
    decoders: Callable[..., WltDecoder], wlt: WltStub
) -> None:
    decoder = decoders()
    for block in (b"", photo_block(1)[:1023], photo_block(1) + b"\0"):
        with pytest.raises(PhotoNotDecodable, match="photo block"):
            decoder.decode(block)
    assert wlt.calls() == 0
    with pytest.raises(PhotoNotDecodable, match="unpack returned -2"):
        decoder.decode(bytes(1024))  # not a photo block at all


def test_hanging_decoder_times_out_and_recovers(
    decoders: Callable[..., WltDecoder], wlt: WltStub
) -> None:
    decoder = decoders()
    block = photo_block(3)
    good = decoder.decode(block)
    wlt.set_mode("hang")

    started = time.monotonic()
    with pytest.raises(ReaderNotResponding):
        decoder.decode(block)
    assert time.monotonic() - started < CALL_TIMEOUT_S + 1.0
    assert decoder.hung
    started = time.monotonic()
    with pytest.raises(ReaderNotResponding):
        decoder.decode(block)  # not called again while it hangs
    assert time.monotonic() - started < 0.1

    wlt.set_mode("normal")
    wait_until(lambda: not decoder.hung)
    assert decoder.decode(block) == good


def test_hanging_decoder_through_the_reader(
    start_reader: Callable[..., VendorCardReader],
    stub: SdtapiStub,
    wlt: WltStub,
    events: CardEvents,
) -> None:
    reader = start_reader()
    reading = read_card(reader, events, stub)
    wlt.set_mode("hang")
    started = time.monotonic()
    with pytest.raises(ReaderNotResponding):
        reader.decode_photo(reading.photo_block)
    assert time.monotonic() - started < CALL_TIMEOUT_S + 1.0
    # The card reader itself is not held up by the decoder.
    assert reader.security_module_id()
    wlt.set_mode("normal")


def _open_fds() -> set[Path]:
    return set(Path("/proc/self/fd").iterdir())


def test_decoder_writing_a_file_writes_it_in_memory_only(
    decoders: Callable[..., WltDecoder],
    wlt: WltStub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    in_memory = decoders(writes_file=True)
    in_buffer = decoders()
    portrait = chip_photo(make_photo_jpeg("a third invented"))
    wlt.add_photo(9, portrait)
    fds = _open_fds()

    image = in_memory.decode(photo_block(9))
    assert image == portrait == in_buffer.decode(photo_block(9))
    assert in_memory.decode(photo_block(10)) == in_buffer.decode(photo_block(10))
    wlt.set_mode("fail")
    with pytest.raises(PhotoNotDecodable):
        in_memory.decode(photo_block(9))

    assert list(cwd.iterdir()) == [] and list(tmp.iterdir()) == []
    assert _open_fds() == fds  # every in-memory file closed, on failure too


def test_reader_with_a_decoder_that_writes_files(
    start_reader: Callable[..., VendorCardReader],
    stub: SdtapiStub,
    events: CardEvents,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    reader = start_reader(decoder_writes_file=True)
    reading = read_card(reader, events, stub)
    check_bitmap(reader.decode_photo(reading.photo_block))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.expect_log("devices.vendor_reader")
def test_reader_without_a_usable_decoder(
    start_reader: Callable[..., VendorCardReader],
    stub: SdtapiStub,
    events: CardEvents,
    tmp_path: Path,
) -> None:
    none = start_reader(decoder_library=None)
    assert not none.can_decode_photos
    with pytest.raises(DeviceUnavailable, match="no photo decoder is configured"):
        none.decode_photo(photo_block(1))
    none.stop()

    missing = start_reader(decoder_library=tmp_path / "libwlt.so")  # logged, reader works
    assert not missing.can_decode_photos
    reading = read_card(missing, events, stub)
    with pytest.raises(VendorLibraryError, match="photo decoder"):
        missing.decode_photo(reading.photo_block)

    with pytest.raises(DeviceUnavailable, match="not started"):
        VendorCardReader(stub.path, decoder_library=tmp_path / "x.so").decode_photo(b"")


def test_nothing_personal_reaches_the_log(
    start_reader: Callable[..., VendorCardReader],
    sim: CertifiedReaderSimulator,
    events: CardEvents,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    reader = start_reader()
    photos: list[bytes] = []
    for kind in DOCUMENT_OF_KIND:
        sim.place_card(kind)
        events.expect(CardInserted(name_of(reader), b""))
        reading = reader.read_identity()
        photos += [reading.photo_block, reader.decode_photo(reading.photo_block)]
        logging.getLogger("test").info("read %r / %s", reading, reading.text)
        sim.remove_card()
        events.expect(CardRemoved(name_of(reader)))
    logged = caplog.text
    assert "card read by the reader's security module (hmt_residence_permit" in logged
    assert "card photo decoded (38862 bytes)" in logged
    for kind in DOCUMENT_OF_KIND:
        for value in DEFAULT_CARDS[kind].values():
            if len(value) > 3:
                assert value not in logged, value
    for photo in photos:
        assert photo[100:116].hex() not in logged and repr(photo[100:116])[2:-1] not in logged


# ------------------------------------------------------------------------- the simulator


def test_simulator_names_are_those_of_the_stubs(sim: CertifiedReaderSimulator) -> None:
    for mode in READER_MODES:
        sim.reader.set_mode(mode)
    for kind in CARD_KINDS:
        sim.reader.set_card_kind(kind)
    for mode in DECODER_MODES:
        sim.decoder.set_mode(mode)
    sim.reset()
    with pytest.raises(ValueError, match="mode"):
        sim.reader.set_mode("on_fire")
    with pytest.raises(ValueError, match="card kind"):
        sim.reader.set_card_kind("library_card")
    with pytest.raises(ValueError, match="decoder mode"):
        sim.decoder.set_mode("on_fire")
    with pytest.raises(ValueError, match="holder block"):
        sim.reader.set_card(b"\0" * 255)
    with pytest.raises(ValueError, match="photo"):
        sim.decoder.add_photo(1, b"BM")
    with pytest.raises(ValueError, match="SAM id"):
        sim.reader.set_sam_id("x" * 65)
    with pytest.raises(ValueError, match="wider"):
        text_block("resident_id", name="名" * 16)
    with pytest.raises(ValueError, match="no field"):
        text_block("resident_id", english_name="X")


def test_build_is_cached_by_source_hash(tmp_path: Path) -> None:
    first = build_libraries(tmp_path)
    stamps = {p: p.stat().st_mtime_ns for p in (first.sdtapi, first.wlt)}
    again = build_libraries(tmp_path)
    assert again == first
    assert {p: p.stat().st_mtime_ns for p in (again.sdtapi, again.wlt)} == stamps
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [first.sdtapi.name, first.wlt.name]
    )  # no half-built leftovers

    changed = tmp_path / "src" / "wlt_stub.c"
    changed.parent.mkdir()
    shutil.copy(stub_build.WLT_SOURCE, changed)
    changed.write_text(changed.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    rebuilt = stub_build.compile_library(changed, tmp_path)
    assert rebuilt != first.wlt and rebuilt.exists()


def test_build_errors_are_typed(tmp_path: Path) -> None:
    with pytest.raises(CompilerNotFound, match=r"tools/bootstrap\.sh"):
        build_libraries(tmp_path, compiler="no-such-compiler-here")
    broken = tmp_path / "broken.c"
    broken.write_text("int unpack(void) { return }\n", encoding="utf-8")
    with pytest.raises(StubBuildError, match="does not compile"):
        stub_build.compile_library(broken, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
