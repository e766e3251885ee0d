"""The vendor-library reader back-end against a stub sdtapi library compiled here with gcc.

``tests/c/stub_idreader.c`` plays a certified reader: a normal card, no card, a card removed
mid-read, failure codes, calls that hang past the time limit, and garbage answers.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import dataclasses
import datetime as dt
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.card_reader import CardInserted, CardRemoved, ReaderUnavailable
from devices.errors import (
    CardAlreadyRead,
    CardCommunicationError,
    DeviceError,
    DeviceUnavailable,
    NotAnIdCard,
    ReaderNotResponding,
    SecurityModuleRejected,
    VendorLibraryError,
)
from devices.errors import CardRemoved as CardRemovedError
from devices.vendor_reader import SdtApi, VendorCardReader, decode_text_block
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
    security_module_block,
    wrong_check_char_resident,
)
from simulators.residents import WANG_XIUYING, ZHANG_WEI
from tests.support.kiosk import CardEvents

C_SOURCE = Path(__file__).resolve().parents[1] / "c" / "stub_idreader.c"
EVENT_TIMEOUT_S = 5.0
CALL_TIMEOUT_S = 0.5


@pytest.fixture(scope="session")
def stub_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stub library, compiled for this test session."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.fail(
            "gcc is needed to build the stub reader library (tools/bootstrap.sh installs it)"
        )
    out = tmp_path_factory.mktemp("stub-idreader") / "libstub_idreader.so"
    subprocess.run(
        [
            gcc,
            "-shared",
            "-fPIC",
            "-std=c11",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-o",
            str(out),
            str(C_SOURCE),
        ],
        check=True,
        capture_output=True,
    )
    return out


class Stub:
    """The stub's test controls (the same loaded library the reader uses)."""

    def __init__(self, path: Path) -> None:
        self.lib = ctypes.CDLL(str(path))
        self.lib.stub_set_mode.argtypes = [ctypes.c_char_p]
        self.lib.stub_set_card.argtypes = [ctypes.c_char_p, ctypes.c_int]
        self.lib.stub_set_present.argtypes = [ctypes.c_int]

    def mode(self, name: str) -> None:
        assert self.lib.stub_set_mode(name.encode()) == 0, name

    def present(self, present: bool) -> None:
        self.lib.stub_set_present(int(present))

    def card(self, block: bytes) -> None:
        assert self.lib.stub_set_card(block, len(block)) == 0

    def calls(self) -> int:
        return int(self.lib.stub_calls())


@pytest.fixture
def stub(stub_library: Path) -> Iterator[Stub]:
    s = Stub(stub_library)
    s.lib.stub_reset()
    yield s
    s.mode("normal")  # releases any call still "hung" in the stub


@pytest.fixture
def events() -> CardEvents:
    return CardEvents()


@pytest.fixture
def start_reader(
    stub_library: Path, stub: Stub, events: CardEvents
) -> Iterator[Callable[..., VendorCardReader]]:
    readers: list[VendorCardReader] = []

    def start(**kwargs: Any) -> VendorCardReader:
        options: dict[str, Any] = {
            "port": 1001,
            "poll_interval_s": 0.02,
            "call_timeout_s": CALL_TIMEOUT_S,
            "max_backoff_s": 0.2,
        } | kwargs
        reader = VendorCardReader(stub_library, **options)
        reader.start(events.put)
        readers.append(reader)
        return reader

    yield start
    stub.mode("normal")
    for reader in readers:
        reader.stop()


def name_of(reader: VendorCardReader) -> str:
    return reader.reader_name


def expected_holder() -> Holder:
    rid1 = Holder.from_file(holder_file(ZHANG_WEI))
    return dataclasses.replace(rid1, verified_by=VERIFIED_BY_SECURITY_MODULE)


def today() -> dt.date:
    return today_in_china()


# ------------------------------------------------------------------------- normal card


def test_card_placed_read_once_and_removed_repeatedly(
    start_reader: Callable[..., VendorCardReader], stub: Stub, events: CardEvents
) -> None:
    reader = start_reader()
    name = name_of(reader)
    events.none_within(0.2)  # no card: no event
    with pytest.raises(CardRemovedError):
        reader.read_identity()

    for _ in range(3):
        stub.present(True)
        events.expect(CardInserted(name, b""))
        holder = holder_from_security_module(reader.read_identity(), today_cst=today())
        assert holder == expected_holder()
        assert holder.verified_by == VERIFIED_BY_SECURITY_MODULE
        # Lying on the reader it is not read again, and starts no new session.
        with pytest.raises(CardAlreadyRead):
            reader.read_identity()
        events.none_within(0.2)
        stub.present(False)
        events.expect(CardRemoved(name))


def test_stub_default_card_matches_the_simulator_layout(
    start_reader: Callable[..., VendorCardReader], stub: Stub, events: CardEvents
) -> None:
    reader = start_reader()
    stub.present(True)
    events.next()
    text = reader.read_identity()
    assert text == decode_text_block(security_module_block(ZHANG_WEI))
    assert ZHANG_WEI.id_number not in repr(text) and ZHANG_WEI.name not in repr(text)


def test_card_without_expiry_and_given_card(
    start_reader: Callable[..., VendorCardReader], stub: Stub, events: CardEvents
) -> None:
    stub.card(security_module_block(WANG_XIUYING))
    reader = start_reader()
    stub.present(True)
    events.next()
    holder = holder_from_security_module(reader.read_identity(), today_cst=today())
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
    stub: Stub,
    events: CardEvents,
    resident: Any,
    reason: str,
) -> None:
    stub.card(security_module_block(resident))
    reader = start_reader()
    stub.present(True)
    events.next()
    with pytest.raises(CardInvalid) as info:
        holder_from_security_module(reader.read_identity(), today_cst=today())
    assert info.value.reason == reason


# ------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("fail_read", CardCommunicationError),
        ("auth_fail", SecurityModuleRejected),
        ("unknown_card", NotAnIdCard),
        ("removed_mid_read", CardRemovedError),
        ("garbage_encoding", CardCommunicationError),
        ("garbage_control", CardCommunicationError),
        ("garbage_length", CardCommunicationError),
        ("short_text", CardCommunicationError),
    ],
)
def test_failures_are_typed_errors(
    start_reader: Callable[..., VendorCardReader],
    stub: Stub,
    events: CardEvents,
    mode: str,
    error: type[DeviceError],
) -> None:
    reader = start_reader()
    stub.present(True)
    events.expect(CardInserted(name_of(reader), b""))
    stub.mode(mode)

    with pytest.raises(error):
        reader.read_identity()

    if mode == "removed_mid_read":
        events.expect(CardRemoved(name_of(reader)))


@pytest.mark.expect_log("devices.vendor_reader")
def test_port_that_cannot_be_opened_is_no_reader_then_recovers(
    start_reader: Callable[..., VendorCardReader], stub: Stub, events: CardEvents
) -> None:
    stub.mode("fail_open")
    stub.present(True)
    reader = start_reader()
    events.expect(ReaderUnavailable("no_reader"))
    events.none_within(0.5)  # said once, while retrying with back-off

    stub.mode("normal")
    events.expect(CardInserted(name_of(reader), b""))


@pytest.mark.expect_log("devices.vendor_reader")
def test_hung_read_times_out_and_the_reader_recovers(
    start_reader: Callable[..., VendorCardReader], stub: Stub, events: CardEvents
) -> None:
    reader = start_reader()
    name = name_of(reader)
    stub.present(True)
    events.expect(CardInserted(name, b""))
    stub.mode("hang_read")

    started = time.monotonic()
    with pytest.raises(ReaderNotResponding):
        reader.read_identity()
    assert time.monotonic() - started < CALL_TIMEOUT_S + 1.0
    # The poll thread finds the library still hung: the card is gone as far as we know.
    events.expect(CardRemoved(name), ReaderUnavailable("not_responding"))
    with pytest.raises(ReaderNotResponding):
        reader.read_identity()

    stub.mode("normal")  # the hung call returns at last
    events.expect(CardInserted(name, b""))
    holder = holder_from_security_module(reader.read_identity(), today_cst=today())
    assert holder.id_number


@pytest.mark.expect_log("devices.vendor_reader")
def test_stop_returns_while_the_library_hangs(
    stub_library: Path, stub: Stub, events: CardEvents
) -> None:
    stub.mode("hang_find")
    reader = VendorCardReader(stub_library, poll_interval_s=0.02, call_timeout_s=CALL_TIMEOUT_S)
    reader.start(events.put)
    events.expect(ReaderUnavailable("not_responding"))

    started = time.monotonic()
    reader.stop()
    assert time.monotonic() - started < CALL_TIMEOUT_S + 2.0
    stub.mode("normal")


def test_missing_or_wrong_library(tmp_path: Path, events: CardEvents) -> None:
    with pytest.raises(VendorLibraryError):
        VendorCardReader(tmp_path / "libnothing.so").start(events.put)
    libc = ctypes.util.find_library("c")  # a real library without the sdtapi functions
    assert libc is not None
    with pytest.raises(VendorLibraryError, match="SDT_"):
        SdtApi(libc)


def test_no_apdu_access(stub_library: Path) -> None:
    with pytest.raises(DeviceUnavailable):
        VendorCardReader(stub_library).connect()


def test_mode_from_environment(stub_library: Path) -> None:
    # The stub reads STUB_IDREADER_MODE when loaded: check it in a fresh process.
    code = (
        "import sys; from devices.vendor_reader import SdtApi; "
        "api = SdtApi(sys.argv[1]); print(api.open(1001), api.find_card(1001))"
    )
    env = {"STUB_IDREADER_MODE": "fail_open", "STUB_IDREADER_PRESENT": "1", "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", code, str(stub_library)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.split() == [str(0x01), str(0x02)]  # open fails; find: port not open


@given(st.binary(max_size=300))
def test_decoding_random_blocks_only_raises_communication_error(block: bytes) -> None:
    try:
        text = decode_text_block(block)
    except CardCommunicationError:
        return
    with contextlib.suppress(CardInvalid):
        holder_from_security_module(text, today_cst=dt.date(2026, 1, 1))
