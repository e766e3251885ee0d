"""Decide whether a RID-1 card is genuine and valid, and extract its holder.

Implements the profile's "Checks the terminal makes before it trusts the card" in the
profile's order; the first failure raises ``CardInvalid`` with the profile's reason code.
Cards read by a certified reader's security module (``devices.vendor_reader``) go through
``holder_from_security_module`` instead: the checks the module cannot have done for us.
Holder data only ever leaves this module masked in logs, ``repr()`` and ``str()``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import re

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from devices.card_reader import SecurityModuleText
from devices.rid_card import CardFiles
from kiosk.errors import CardInvalid
from kiosk.platform import report
from kiosk.privacy import mask_id_number, mask_name

logger = logging.getLogger(__name__)

CST = report.CHINA_TZ
SHA256_OID_DER = bytes.fromhex("0609608648016503040201")
NO_EXPIRY = "长期"

TAG_HOLDER = 0x61
TAG_SOD = 0x77
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# GB/T 2260 province-level codes the profile accepts as the first two ID digits.
_PROVINCES = frozenset(
    [
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    ]
)
# [0-9], not \d: \d also matches other scripts' digits ("٣"), which int() would accept.
_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_DIGITS8 = re.compile(r"[0-9]{8}")
_DIGITS2 = re.compile(r"[0-9]{2}")

#: ``Holder.verified_by`` of a RID-1 card read over PC/SC: EF.SOD, the card certificate and
#: INTERNAL AUTHENTICATE were all checked by the terminal.
VERIFIED_BY_ACTIVE_AUTH = "active_auth"
#: ``Holder.verified_by`` of a card read by a certified reader's security module (vendor
#: library): the module authenticated the card; the terminal saw only the holder's text.
VERIFIED_BY_SECURITY_MODULE = "security_module"


# ------------------------------------------------------------------------- BER-TLV


class TlvError(ValueError):
    """The bytes are not well-formed definite-length BER-TLV."""


@dataclasses.dataclass(frozen=True, repr=False)
class Tlv:
    """One decoded BER-TLV: its tag (all tag bytes as one integer) and its value."""

    tag: int
    value: bytes
    constructed: bool

    def __repr__(self) -> str:
        return f"Tlv(tag={self.tag:X}, len={len(self.value)})"

    def children(self) -> list[Tlv]:
        """The TLVs inside a constructed TLV's value."""
        if not self.constructed:
            raise TlvError(f"tag {self.tag:X} is primitive")
        return parse_tlvs(self.value)


def parse_tlv(data: bytes, pos: int = 0) -> tuple[Tlv, int]:
    """Decode the TLV at ``data[pos:]``.

    Returns:
        The TLV and the position just after it.

    Raises:
        TlvError: Truncated data, indefinite length, or absurd tag/length sizes.
    """
    if pos >= len(data):
        raise TlvError("no tag")
    first = data[pos]
    tag = first
    pos += 1
    if first & 0x1F == 0x1F:
        while True:
            if pos >= len(data):
                raise TlvError("truncated tag")
            byte = data[pos]
            pos += 1
            tag = (tag << 8) | byte
            if not byte & 0x80:
                break
            if tag > 0xFFFFFF:
                raise TlvError("tag longer than 4 bytes")
    if pos >= len(data):
        raise TlvError("no length")
    length = data[pos]
    pos += 1
    if length & 0x80:
        count = length & 0x7F
        if count == 0:
            raise TlvError("indefinite length is not allowed")
        if count > 3 or pos + count > len(data):
            raise TlvError("bad length field")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise TlvError(f"value of tag {tag:X} runs past the data")
    return Tlv(tag=tag, value=bytes(data[pos:end]), constructed=bool(first & 0x20)), end


def parse_tlvs(data: bytes) -> list[Tlv]:
    """Decode a sequence of TLVs filling ``data`` exactly."""
    out: list[Tlv] = []
    pos = 0
    while pos < len(data):
        item, pos = parse_tlv(data, pos)
        out.append(item)
    return out


def parse_single(data: bytes, tag: int) -> Tlv:
    """Decode a file that must hold exactly one TLV with ``tag`` and nothing after it."""
    item, end = parse_tlv(data)
    if item.tag != tag:
        raise TlvError(f"expected tag {tag:X}, found {item.tag:X}")
    if end != len(data):
        raise TlvError(f"{len(data) - end} bytes after the TLV")
    return item


# ------------------------------------------------------------------------- holder


@dataclasses.dataclass(frozen=True, repr=False)
class Holder:
    """The card holder as EF.HOLDER states it. ``repr``/``str`` show masked values only."""

    id_number: str
    name: str
    sex: str
    ethnicity: str
    birth_date: dt.date
    address: str
    issuing_authority: str
    valid_from: dt.date
    valid_until: dt.date | None  # None: 长期, never expires
    # Who vouched that the card is genuine: VERIFIED_BY_ACTIVE_AUTH (the terminal checked the
    # RID-1 card itself) or VERIFIED_BY_SECURITY_MODULE (a certified reader did).
    verified_by: str = VERIFIED_BY_ACTIVE_AUTH

    @property
    def id_masked(self) -> str:
        """The ID number as it may be shown or logged, e.g. ``3211**********123X``."""
        return mask_id_number(self.id_number)

    @property
    def name_masked(self) -> str:
        """The name as it may be shown or logged, e.g. ``张*``."""
        return mask_name(self.name)

    def __repr__(self) -> str:
        return f"Holder(id={self.id_masked}, name={self.name_masked})"

    __str__ = __repr__

    @classmethod
    def from_file(cls, holder_file: bytes) -> Holder:
        """Decode EF.HOLDER; unknown tags inside ``61`` are skipped.

        Raises:
            kiosk.errors.CardInvalid: ``malformed_data`` for missing or ill-formed fields.
        """
        try:
            fields: dict[int, str] = {}
            for item in parse_single(holder_file, TAG_HOLDER).children():
                if 0xDF01 <= item.tag <= 0xDF09:
                    fields[item.tag] = item.value.decode("utf-8")
        except (TlvError, UnicodeDecodeError) as exc:
            raise CardInvalid("malformed_data", f"EF.HOLDER: {exc}") from exc
        return cls.from_fields(fields)

    @classmethod
    def from_fields(
        cls, fields: dict[int, str], *, verified_by: str = VERIFIED_BY_ACTIVE_AUTH
    ) -> Holder:
        """Build a holder from EF.HOLDER's fields as text, keyed by tag (``0xDF01``..).

        Also used for the text a certified reader's security module returns, mapped to the
        same tags. Checks the profile's field formats and limits, not the ID number's
        check character (``validate_id_number`` does that).

        Raises:
            kiosk.errors.CardInvalid: ``malformed_data`` for missing or ill-formed fields.
        """
        missing = [f"{t:X}" for t in range(0xDF01, 0xDF0A) if t not in fields]
        if missing:
            raise CardInvalid("malformed_data", f"EF.HOLDER lacks {', '.join(missing)}")
        id_number, name, sex, ethnicity = (fields[t] for t in range(0xDF01, 0xDF05))
        address, authority = fields[0xDF06], fields[0xDF07]
        if not _ID_RE.fullmatch(id_number):
            raise CardInvalid("malformed_data", "ID number is not 17 digits and a check char")
        if not 1 <= len(name) <= 30 or not 1 <= len(address) <= 70:
            raise CardInvalid("malformed_data", "name or address length")
        if not 1 <= len(authority) <= 30:
            raise CardInvalid("malformed_data", "issuing authority length")
        if sex not in ("1", "2") or not _DIGITS2.fullmatch(ethnicity):
            raise CardInvalid("malformed_data", "sex or ethnicity code")
        until = fields[0xDF09]
        return cls(
            id_number=id_number,
            name=name,
            sex=sex,
            ethnicity=ethnicity,
            birth_date=_parse_date(fields[0xDF05], "DF05"),
            address=address,
            issuing_authority=authority,
            valid_from=_parse_date(fields[0xDF08], "DF08"),
            valid_until=None if until == NO_EXPIRY else _parse_date(until, "DF09"),
            verified_by=verified_by,
        )


def _parse_date(text: str, tag: str) -> dt.date:
    if not _DIGITS8.fullmatch(text):
        raise CardInvalid("malformed_data", f"{tag} is not YYYYMMDD")
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as exc:
        raise CardInvalid("malformed_data", f"{tag} is not a date") from exc


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits (GB 11643-1999).

    Raises:
        kiosk.errors.CardInvalid: ``malformed_data`` when ``first17`` is not 17 ASCII digits.
    """
    if not re.fullmatch(r"[0-9]{17}", first17):
        raise CardInvalid("malformed_data", "ID number does not start with 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


# ------------------------------------------------------------------------- checks


def today_in_china() -> dt.date:
    """Today's date in China Standard Time (UTC+8), whatever the machine's time zone."""
    return dt.datetime.now(CST).date()


@dataclasses.dataclass(frozen=True)
class _Sod:
    oid: bytes
    holder_hash: bytes
    photo_hash: bytes
    cardcert_hash: bytes
    signature: bytes
    issuer_fingerprint: bytes

    @property
    def signed_data(self) -> bytes:
        return self.oid + self.holder_hash + self.photo_hash + self.cardcert_hash


def _parse_sod(sod: bytes) -> _Sod:
    try:
        items = {t.tag: t.value for t in parse_single(sod, TAG_SOD).children()}
    except TlvError as exc:
        raise CardInvalid("malformed_data", f"EF.SOD: {exc}") from exc
    missing = [f"{t:X}" for t in range(0x80, 0x86) if t not in items]
    if missing:
        raise CardInvalid("malformed_data", f"EF.SOD lacks {', '.join(missing)}")
    if items[0x80] != SHA256_OID_DER:
        raise CardInvalid("malformed_data", "EF.SOD hash algorithm is not SHA-256")
    if any(len(items[t]) != 32 for t in (0x81, 0x82, 0x83, 0x85)):
        raise CardInvalid("malformed_data", "EF.SOD hash of wrong size")
    return _Sod(*(items[t] for t in range(0x80, 0x86)))


TAG_PHOTO = 0x5F2E


def photo_image(ef_photo: bytes) -> bytes:
    """The JPEG inside EF.PHOTO (template ``5F2E``), for the face check.

    Raises:
        kiosk.errors.CardInvalid: ``malformed_data`` when EF.PHOTO is not one ``5F2E`` TLV.
    """
    try:
        return parse_single(ef_photo, TAG_PHOTO).value
    except TlvError as exc:
        raise CardInvalid("malformed_data", f"EF.PHOTO: {exc}") from exc


def sod_photo_sha256(sod: bytes) -> str:
    """EF.SOD's hash of EF.PHOTO (tag ``82``) as lowercase hex: what the photo read for the
    face check must hash to, and the platform's ``reference_sha256``.

    Raises:
        kiosk.errors.CardInvalid: ``malformed_data`` for an EF.SOD that does not parse.
    """
    return _parse_sod(sod).photo_hash.hex()


def _load_anchors(trust_anchors: list[bytes]) -> dict[bytes, x509.Certificate]:
    anchors: dict[bytes, x509.Certificate] = {}
    for der in trust_anchors:
        try:
            anchors[hashlib.sha256(der).digest()] = x509.load_der_x509_certificate(der)
        except ValueError:
            # One bad anchor must not disable the others; the platform is told via the log.
            logger.warning("ignoring a trust anchor that is not a DER certificate")
    return anchors


def _ec_p256_key(cert: x509.Certificate) -> ec.EllipticCurvePublicKey | None:
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    return None


def _valid_at(cert: x509.Certificate, now: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def _verify(key: ec.EllipticCurvePublicKey, signature_der: bytes, data: bytes) -> bool:
    try:
        key.verify(signature_der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def check_card(
    files: CardFiles,
    *,
    signature: bytes,
    challenge: bytes,
    trust_anchors: list[bytes],
    today_cst: dt.date,
    now: dt.datetime | None = None,
) -> Holder:
    """Run every check of the profile, in its order, and return the holder.

    Args:
        files: EF.HOLDER, EF.CARDCERT and EF.SOD as read from the card.
        signature: The card's raw ``r || s`` answer to INTERNAL AUTHENTICATE.
        challenge: The 32-byte challenge the card signed.
        trust_anchors: Issuer CA certificates (DER) from the platform's trust anchors.
        today_cst: Today in China Standard Time, for the card's DF09 expiry.
        now: The instant certificates must be valid at (default: now).

    Returns:
        The holder, after every check passed.

    Raises:
        kiosk.errors.CardInvalid: The first failed check, with the profile's reason code.
    """
    now = now or dt.datetime.now(dt.UTC)
    ca = _check_sod(files, trust_anchors, now)  # 1 and 2
    card_key = _check_card_cert(files.card_cert, ca, now)  # 3
    _check_active_auth(card_key, signature, challenge)  # 4
    holder = Holder.from_file(files.holder)
    _check_id_number(holder)  # 5
    # 6. Not expired, by the date in China (a card is valid through its DF09 day).
    if holder.valid_until is not None and holder.valid_until < today_cst:
        raise CardInvalid("card_expired")
    logger.info("card accepted: %s", holder)
    return holder


def _check_sod(files: CardFiles, trust_anchors: list[bytes], now: dt.datetime) -> x509.Certificate:
    # 1. EF.SOD signed by a trusted issuer CA that is currently valid.
    sod = _parse_sod(files.sod)
    ca = _load_anchors(trust_anchors).get(sod.issuer_fingerprint)
    if ca is None:
        raise CardInvalid("unknown_issuer")
    ca_key = _ec_p256_key(ca)
    if ca_key is None or not _verify(ca_key, sod.signature, sod.signed_data):
        raise CardInvalid("sod_signature")
    if not _valid_at(ca, now):
        raise CardInvalid("issuer_not_valid")
    # 2. The files read are the ones the issuer signed. EF.PHOTO is not read (see profile).
    if hashlib.sha256(files.holder).digest() != sod.holder_hash:
        raise CardInvalid("holder_hash")
    if hashlib.sha256(files.card_cert).digest() != sod.cardcert_hash:
        raise CardInvalid("cardcert_hash")
    return ca


def _check_card_cert(
    der: bytes, ca: x509.Certificate, now: dt.datetime
) -> ec.EllipticCurvePublicKey:
    # 3. The card certificate comes from that same CA and is within its validity.
    try:
        card_cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise CardInvalid("malformed_data", "EF.CARDCERT is not a certificate") from exc
    try:
        card_cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise CardInvalid("cardcert_issuer") from exc
    if not _valid_at(card_cert, now):
        raise CardInvalid("cardcert_not_valid")
    card_key = _ec_p256_key(card_cert)
    if card_key is None:
        raise CardInvalid("malformed_data", "EF.CARDCERT key is not EC P-256")
    return card_key


def _check_active_auth(
    card_key: ec.EllipticCurvePublicKey, signature: bytes, challenge: bytes
) -> None:
    # 4. Active authentication: the card holds the private key of EF.CARDCERT (not a copy).
    if len(signature) != 64:
        raise CardInvalid("active_auth", "signature is not 64 bytes")
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    if not _verify(card_key, der, challenge):
        raise CardInvalid("active_auth")


def _check_id_number(holder: Holder) -> None:
    # 5. The ID number itself: check character, birth date, region.
    validate_id_number(holder.id_number, holder.birth_date)


def validate_id_number(number: str, birth_date: dt.date | None = None) -> None:
    """Check an ID number as the profile's check 5 does (GB 11643-1999).

    Args:
        number: The 18-character ID number.
        birth_date: The card's date of birth (DF05), which positions 7..14 must equal; when
            ``None`` those positions must only be a real date.

    Raises:
        kiosk.errors.CardInvalid: ``malformed_data`` (not 17 digits and a check character),
            ``id_check_char``, ``birth_date_mismatch`` or ``unknown_region``.
    """
    if not _ID_RE.fullmatch(number):
        raise CardInvalid("malformed_data", "ID number is not 17 digits and a check char")
    if id_check_char(number[:17]) != number[17]:
        raise CardInvalid("id_check_char")
    if birth_date is None:
        try:
            dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError as exc:
            raise CardInvalid("birth_date_mismatch", "no such date in the ID number") from exc
    elif number[6:14] != birth_date.strftime("%Y%m%d"):
        raise CardInvalid("birth_date_mismatch")
    if not _known_region(number):
        raise CardInvalid("unknown_region")


def _known_region(number: str) -> bool:
    """Check 5's region prefix: a province code, 83 (Taiwan residents' residence permits),
    or 9 and a province code (foreigners' permanent residence cards)."""
    if number[0] == "9":
        return int(number[1:3]) in _PROVINCES
    return int(number[:2]) in _PROVINCES or number[:2] == "83"


#: Documents a certified reader may read (platform-api.md §2b ``holder.document``).
DOCUMENT_RESIDENT_ID = "resident_id"  # 居民身份证
DOCUMENT_HMT_PERMIT = "hmt_residence_permit"  # 港澳台居民居住证, numbers 81/82/83...
DOCUMENT_FOREIGN_PERMANENT = "foreign_permanent_resident"  # 外国人永久居留身份证, 9 + province
DOCUMENTS = frozenset({DOCUMENT_RESIDENT_ID, DOCUMENT_HMT_PERMIT, DOCUMENT_FOREIGN_PERMANENT})
_HMT_PREFIXES = frozenset({81, 82, 83})


def _region_fits(number: str, document: str) -> bool:
    """Whether the number's region prefix fits its document (check 5; spec §2b)."""
    if document == DOCUMENT_HMT_PERMIT:
        return int(number[:2]) in _HMT_PREFIXES
    if document == DOCUMENT_FOREIGN_PERMANENT:
        return number[0] == "9" and int(number[1:3]) in _PROVINCES
    return int(number[:2]) in _PROVINCES


def holder_from_security_module(text: SecurityModuleText, *, today_cst: dt.date) -> Holder:
    """The holder of a card read by a certified reader (``devices.vendor_reader``).

    The reader's security module has authenticated the card (checks 1 to 4 of the profile
    have no equivalent here: there is no EF.SOD, certificate or signature to see). The
    terminal still checks what the text allows, as the platform will (spec §2b): the
    document type, field formats, dates, the ID number (check 5, with the region prefix its
    document allows), the birth-date field against the number, and expiry (check 6). Only a
    resident ID card carries sex, ethnicity and address in the profile's formats; the
    permits' other fields are not needed and not checked. The result is marked
    ``verified_by = VERIFIED_BY_SECURITY_MODULE``.

    Raises:
        kiosk.errors.CardInvalid: ``malformed_data`` (including a foreigner's card of the
            pre-2023 kind, whose 15-character number the platform does not take),
            ``id_check_char``, ``birth_date_mismatch``, ``unknown_region`` or
            ``card_expired``.
    """
    document = text.document
    if document not in DOCUMENTS:
        raise CardInvalid("malformed_data", f"document type {document!r}")
    number = text.id_number.upper()
    if document == DOCUMENT_FOREIGN_PERMANENT and len(number) == 15:
        raise CardInvalid("malformed_data", "a foreigner's permanent residence card of 2004")
    if not _ID_RE.fullmatch(number):
        raise CardInvalid("malformed_data", "ID number is not 17 digits and a check char")
    if not 1 <= len(text.name) <= 30:
        raise CardInvalid("malformed_data", "name length")
    birth_date = _parse_date(text.birth_date, "birth date")
    valid_from = _parse_date(text.valid_from, "valid from")
    valid_until = None if text.valid_until == NO_EXPIRY else _parse_date(text.valid_until, "until")
    if valid_from > today_cst or (valid_until is not None and valid_from > valid_until):
        raise CardInvalid("malformed_data", "valid-from after today or after valid-until")
    if document == DOCUMENT_RESIDENT_ID:
        # The profile's formats for the fields only a resident ID card has.
        fields = {
            0xDF01: number,
            0xDF02: text.name,
            0xDF03: text.sex,
            0xDF04: text.ethnicity,
            0xDF05: text.birth_date,
            0xDF06: text.address,
            0xDF07: text.issuing_authority,
            0xDF08: text.valid_from,
            0xDF09: text.valid_until,
        }
        holder = Holder.from_fields(fields, verified_by=VERIFIED_BY_SECURITY_MODULE)
    else:
        holder = Holder(
            id_number=number,
            name=text.name,
            sex=text.sex,
            ethnicity=text.ethnicity,
            birth_date=birth_date,
            address=text.address,
            issuing_authority=text.issuing_authority,
            valid_from=valid_from,
            valid_until=valid_until,
            verified_by=VERIFIED_BY_SECURITY_MODULE,
        )
    if id_check_char(number[:17]) != number[17]:
        raise CardInvalid("id_check_char")
    if number[6:14] != birth_date.strftime("%Y%m%d"):
        raise CardInvalid("birth_date_mismatch")
    if not _region_fits(number, document):
        raise CardInvalid("unknown_region")
    if valid_until is not None and valid_until < today_cst:
        raise CardInvalid("card_expired")
    logger.info("card accepted (security module, %s): %s", document, holder)
    return holder
