"""Drive the certified-reader simulator's libraries through ctypes, and build what they hold.

The controls load the same library file the kiosk's ``devices.vendor_reader`` loads: a
shared library is loaded once per process, so a mode set here is the one the reader sees.
``sdtapi_stub.c`` and ``wlt_stub.c`` document every mode and card kind.

Nothing here is a real person, card or photo format: the holders are invented and the
photo block is the simulator's made-up stand-in for the vendor's proprietary WLT format.
"""

from __future__ import annotations

import ctypes
import dataclasses
import io
from pathlib import Path

from simulators.certified_reader.build import StubLibraries, build_libraries

#: ``SdtapiStub.set_mode`` names (sdtapi_stub.c explains each).
READER_MODES: tuple[str, ...] = (
    "normal",
    "fail_open",
    "fail_read",
    "auth_fail",
    "sam_fail",
    "sam_unauthorized",
    "unknown_card",
    "removed_mid_read",
    "hang_find",
    "hang_read",
    "hang_sam",
    "garbage_encoding",
    "garbage_control",
    "garbage_length",
    "short_text",
    "short_photo",
    "photo_corrupt",
)
#: ``SdtapiStub.set_card_kind`` names; a kind's default photo id is its position + 1.
CARD_KINDS: tuple[str, ...] = (
    "resident_id",
    "hmt_residence_permit",
    "foreign_permanent_resident",
    "foreign_permanent_resident_pre2023",
    "unknown_document",
)
#: ``WltStub.set_mode`` names.
DECODER_MODES: tuple[str, ...] = ("normal", "fail", "hang", "bad_bitmap")

TEXT_LEN = 256
TYPE_OFFSET = 248
PHOTO_LEN = 1024
BMP_WIDTH = 102
BMP_HEIGHT = 126
BMP_LEN = 54 + 308 * BMP_HEIGHT  # 38862
DEFAULT_SAM_ID = "05.01-20101111-0012345678"

_RESIDENT_LAYOUT: tuple[tuple[str, int], ...] = (
    ("name", 30),
    ("sex", 2),
    ("ethnicity", 4),
    ("birth_date", 16),
    ("address", 70),
    ("id_number", 36),
    ("issuing_authority", 30),
    ("valid_from", 16),
    ("valid_until", 16),
)
#: Per card kind: its card-type character (byte 248) and its fields (name, width in bytes)
#: from byte 0; "" is a reserved field. The same layouts ``devices.vendor_reader`` decodes,
#: written out again here so each side checks the other.
LAYOUTS: dict[str, tuple[str, tuple[tuple[str, int], ...]]] = {
    "resident_id": (" ", _RESIDENT_LAYOUT),
    "hmt_residence_permit": (
        "J",
        (
            ("name", 30),
            ("sex", 2),
            ("", 4),
            ("birth_date", 16),
            ("address", 70),
            ("id_number", 36),
            ("issuing_authority", 30),
            ("valid_from", 16),
            ("valid_until", 16),
            ("permit_number", 18),
            ("issue_count", 4),
        ),
    ),
    "foreign_permanent_resident": (
        "Y",
        (
            ("english_name", 120),
            ("sex", 2),
            ("id_number", 36),
            ("nationality", 6),
            ("name", 30),
            ("valid_from", 16),
            ("valid_until", 16),
            ("birth_date", 16),
        ),
    ),
    "foreign_permanent_resident_pre2023": (
        "I",
        (
            ("english_name", 120),
            ("sex", 2),
            ("id_number", 30),
            ("nationality", 6),
            ("name", 30),
            ("valid_from", 16),
            ("valid_until", 16),
            ("birth_date", 16),
            ("card_version", 4),
            ("authority_code", 8),
        ),
    ),
    "unknown_document": ("Z", _RESIDENT_LAYOUT),
}

_ZHANG_WEI = {
    "name": "张伟",
    "sex": "1",
    "ethnicity": "01",
    "birth_date": "19870315",
    "address": "江苏省镇江市京口区学府路88号",
    "id_number": "321102198703150014",
    "issuing_authority": "镇江市公安局京口分局",
    "valid_from": "20190601",
    "valid_until": "20390601",
}
#: The invented holders the C stub holds per card kind (its defaults, written out again).
DEFAULT_CARDS: dict[str, dict[str, str]] = {
    "resident_id": _ZHANG_WEI,
    "hmt_residence_permit": {
        "name": "陈嘉欣",
        "sex": "2",
        "birth_date": "19900512",
        "address": "广东省深圳市福田区福华三路100号",
        "id_number": "810000199005120020",
        "issuing_authority": "深圳市公安局",
        "valid_from": "20240301",
        "valid_until": "20290301",
        "permit_number": "H12345678",
        "issue_count": "01",
    },
    "foreign_permanent_resident": {
        "english_name": "ANDERSEN, LINNEA",
        "sex": "2",
        "id_number": "911208198507260025",
        "nationality": "DNK",
        "name": "安琳娜",
        "valid_from": "20240115",
        "valid_until": "20340115",
        "birth_date": "19850726",
    },
    "foreign_permanent_resident_pre2023": {
        "english_name": "ANDERSEN, LINNEA",
        "sex": "2",
        "id_number": "DNK110085072602",
        "nationality": "DNK",
        "name": "安琳娜",
        "valid_from": "20170601",
        "valid_until": "20270601",
        "birth_date": "19850726",
        "card_version": "01",
        "authority_code": "1100",
    },
    "unknown_document": _ZHANG_WEI,
}


def text_block(kind: str = "resident_id", *, card_type: str | None = None, **fields: str) -> bytes:
    """The 256-byte holder block of a card of ``kind`` holding ``fields``.

    Fields are UCS-2LE padded with spaces to their width; those not given are blank.

    Args:
        kind: One of ``CARD_KINDS``: picks the layout and the card-type character.
        card_type: Another card-type character for byte 248 (an unknown document).
        fields: Field values by the names of ``LAYOUTS[kind]``.

    Raises:
        ValueError: An unknown kind or field, or a value wider than its field.
    """
    if kind not in LAYOUTS:
        raise ValueError(f"unknown card kind {kind!r}")
    default_type, layout = LAYOUTS[kind]
    names = {name for name, _ in layout if name}
    if unknown := set(fields) - names:
        raise ValueError(f"no field {sorted(unknown)} on a {kind} card")
    space = " ".encode("utf-16-le")
    out = bytearray(space * (TEXT_LEN // 2))
    pos = 0
    for name, width in layout:
        encoded = fields.get(name, "").encode("utf-16-le")
        if len(encoded) > width:
            raise ValueError(f"{name} is wider than its {width} bytes")
        out[pos : pos + len(encoded)] = encoded
        pos += width
    kind_char = (default_type if card_type is None else card_type).encode("utf-16-le")
    if len(kind_char) != 2:
        raise ValueError("the card type is one UCS-2 character")
    out[TYPE_OFFSET : TYPE_OFFSET + 2] = kind_char
    return bytes(out)


def _fnv1a(data: bytes) -> int:
    h = 2166136261
    for byte in data:
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def photo_block(photo_id: int) -> bytes:
    """The 1024-byte stand-in photo block the stub's reader returns for ``photo_id``.

    Not the vendor's WLT format (proprietary): ``SIMWLT01``, the id, a xorshift32 filler and
    an FNV-1a hash, as ``sdtapi_stub.c`` makes it.
    """
    out = bytearray(b"SIMWLT01" + photo_id.to_bytes(4, "little"))
    x = ((photo_id * 2654435761) & 0xFFFFFFFF) ^ 0x57AC3D1F
    x = x or 1
    for _ in range(12, PHOTO_LEN - 4):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out.append(x & 0xFF)
    out += _fnv1a(bytes(out)).to_bytes(4, "little")
    return bytes(out)


def chip_photo(image: bytes) -> bytes:
    """Any image Pillow opens, as the 102x126 24-bit BMP a decoder gives (38862 bytes).

    Cropped to the chip photo's proportions and scaled; for ``WltStub.add_photo``.
    """
    from PIL import Image, ImageOps  # a simulator's convenience: only loaded when used

    with Image.open(io.BytesIO(image)) as opened:
        fitted = ImageOps.fit(opened.convert("RGB"), (BMP_WIDTH, BMP_HEIGHT))
    out = io.BytesIO()
    fitted.save(out, format="BMP")
    bmp = out.getvalue()
    if len(bmp) != BMP_LEN:  # pragma: no cover - Pillow's BMP writer changed
        raise ValueError(f"Pillow wrote a {len(bmp)}-byte BMP, not {BMP_LEN}")
    return bmp


def _check(status: int, what: str) -> None:
    if status != 0:
        raise ValueError(f"the simulator refused {what} ({status})")


class SdtapiStub:
    """The controls of ``sdtapi_stub.c`` (the reader and its security module).

    Args:
        path: The built library (``StubLibraries.sdtapi``).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        lib = ctypes.CDLL(str(path))
        lib.stub_set_mode.argtypes = [ctypes.c_char_p]
        lib.stub_set_card_kind.argtypes = [ctypes.c_char_p]
        lib.stub_set_card.argtypes = [ctypes.c_char_p, ctypes.c_int]
        lib.stub_set_present.argtypes = [ctypes.c_int]
        lib.stub_set_photo_id.argtypes = [ctypes.c_uint]
        lib.stub_set_sam_id.argtypes = [ctypes.c_char_p]
        lib.stub_reset.restype = None
        lib.stub_set_present.restype = None
        lib.stub_set_photo_id.restype = None
        self._lib = lib

    def reset(self) -> None:
        """Mode normal, no card, the resident ID card, the default SAM id, counters at 0."""
        self._lib.stub_reset()

    def set_mode(self, mode: str) -> None:
        """One of ``READER_MODES`` (``ValueError`` otherwise)."""
        _check(self._lib.stub_set_mode(mode.encode()), f"mode {mode!r}")

    def set_present(self, present: bool) -> None:
        """Place the card on the reader or take it off."""
        self._lib.stub_set_present(int(present))

    def set_card_kind(self, kind: str) -> None:
        """The built-in card of ``kind`` (one of ``CARD_KINDS``), with its own photo id."""
        _check(self._lib.stub_set_card_kind(kind.encode()), f"card kind {kind!r}")

    def set_card(self, block: bytes) -> None:
        """Any 256-byte holder block (``text_block``); the photo id stays as it was."""
        _check(self._lib.stub_set_card(block, len(block)), f"a {len(block)}-byte holder block")

    def set_photo_id(self, photo_id: int) -> None:
        """The photo id the card's photo block carries (``photo_block``)."""
        self._lib.stub_set_photo_id(photo_id)

    def set_sam_id(self, sam_id: str) -> None:
        """The security module's id, as ``SDT_GetSAMIDToStr`` gives it (at most 64 bytes)."""
        _check(self._lib.stub_set_sam_id(sam_id.encode()), "the SAM id")

    def calls(self) -> int:
        """API calls made since the last reset."""
        return int(self._lib.stub_calls())

    def sam_calls(self) -> int:
        """``SDT_GetSAMIDToStr`` calls made since the last reset."""
        return int(self._lib.stub_sam_calls())


class WltStub:
    """The controls of ``wlt_stub.c`` (the photo decoder).

    Args:
        path: The built library (``StubLibraries.wlt``).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        lib = ctypes.CDLL(str(path))
        lib.wlt_stub_set_mode.argtypes = [ctypes.c_char_p]
        lib.wlt_stub_set_photo_dir.argtypes = [ctypes.c_char_p]
        lib.wlt_stub_add_photo.argtypes = [ctypes.c_uint, ctypes.c_char_p, ctypes.c_int]
        lib.wlt_stub_reset.restype = None
        self._lib = lib

    def reset(self) -> None:
        """Mode normal, no photos given, no photo directory, the counter at 0."""
        self._lib.wlt_stub_reset()

    def set_mode(self, mode: str) -> None:
        """One of ``DECODER_MODES`` (``ValueError`` otherwise)."""
        _check(self._lib.wlt_stub_set_mode(mode.encode()), f"decoder mode {mode!r}")

    def set_photo_dir(self, directory: Path | None) -> None:
        """Where ``<photo id>.bmp`` files are looked for (None: nowhere)."""
        value = None if directory is None else str(directory).encode()
        _check(self._lib.wlt_stub_set_photo_dir(value), "the photo directory")

    def add_photo(self, photo_id: int, bmp: bytes) -> None:
        """Decode ``photo_id`` to ``bmp`` (a 102x126 24-bit BMP, see ``chip_photo``)."""
        _check(self._lib.wlt_stub_add_photo(photo_id, bmp, len(bmp)), "the photo")

    def calls(self) -> int:
        """``unpack`` calls made since the last reset."""
        return int(self._lib.wlt_stub_calls())


@dataclasses.dataclass
class CertifiedReaderSimulator:
    """Both libraries and their controls: what a test or the demo scripts.

    Build with ``CertifiedReaderSimulator.load()``; hand ``libraries.sdtapi`` and
    ``libraries.wlt`` to ``devices.vendor_reader.VendorCardReader``.
    """

    libraries: StubLibraries
    reader: SdtapiStub
    decoder: WltStub

    @classmethod
    def load(cls, out_dir: Path | None = None) -> CertifiedReaderSimulator:
        """Build (or take from the cache) and load both libraries.

        Raises:
            simulators.certified_reader.build.CompilerNotFound: gcc is missing.
        """
        libraries = build_libraries(out_dir)
        return cls(libraries, SdtapiStub(libraries.sdtapi), WltStub(libraries.wlt))

    def reset(self) -> None:
        """Both libraries back to their defaults (no card on the reader)."""
        self.reader.reset()
        self.decoder.reset()

    def place_card(
        self,
        kind: str = "resident_id",
        *,
        block: bytes | None = None,
        photo_id: int | None = None,
        photo: bytes | None = None,
    ) -> int:
        """Put a card on the reader; returns its photo id.

        Args:
            kind: The built-in card (``CARD_KINDS``).
            block: A holder block instead of the built-in one (``text_block``).
            photo_id: The photo id its photo block carries (default: the kind's).
            photo: A 102x126 BMP (``chip_photo``) the decoder gives for that photo id;
                without one, a photo given before, or a synthetic face-free bitmap.
        """
        self.reader.set_card_kind(kind)
        pid = CARD_KINDS.index(kind) + 1 if photo_id is None else photo_id
        if block is not None:
            self.reader.set_card(block)
        self.reader.set_photo_id(pid)
        if photo is not None:
            self.decoder.add_photo(pid, photo)
        self.reader.set_present(True)
        return pid

    def remove_card(self) -> None:
        """Take the card off the reader."""
        self.reader.set_present(False)
