"""Issue synthetic RID-1 cards: an issuer CA and the card files of a resident.

Follows ``specs/id-card-profile.md``: EF.HOLDER (template ``61``), EF.PHOTO (``5F2E`` JPEG),
EF.CARDCERT (X.509 DER of the card key, signed by the issuer CA) and EF.SOD (template ``77``,
``80``..``85``). Keys are generated at each call (P-256 generation takes well under a
millisecond), so two cards of the same resident differ only in keys and signatures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import random

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image, ImageDraw

from simulators import pki
from simulators.residents import Resident

AID = bytes.fromhex("F0524944314B494F534B")
FID_HOLDER = 0x0101
FID_PHOTO = 0x0102
FID_CARDCERT = 0x0103
FID_SOD = 0x0104

# Complete DER encoding of id-sha256 (2.16.840.1.101.3.4.2.1), as the profile's tag 80 wants.
SHA256_OID_DER = bytes.fromhex("0609608648016503040201")

_CST = dt.timezone(dt.timedelta(hours=8))


def tlv(tag: int, value: bytes) -> bytes:
    """Encode one BER-TLV with a definite length (short or long form)."""
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    else:
        body = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(body)]) + body
    return tag_bytes + length + value


def atr_t1(historical: bytes = b"RID1KIOSK") -> bytes:
    """A well-formed ISO 7816-3 ATR announcing T=0 and T=1, with its TCK."""
    if len(historical) > 15:
        raise ValueError("at most 15 historical bytes")
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes([tck])


def atr_t0(historical: bytes = b"RID1KIOSK") -> bytes:
    """A well-formed ATR of a T=0-only card (no interface bytes, so no TCK)."""
    if len(historical) > 15:
        raise ValueError("at most 15 historical bytes")
    return bytes([0x3B, len(historical)]) + historical


@dataclasses.dataclass(frozen=True)
class IssuerCA:
    """An issuer CA: its private key and self-signed certificate."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def cert_der(self) -> bytes:
        """The CA certificate in DER, as a trust anchor is distributed."""
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def fingerprint(self) -> bytes:
        """SHA-256 of the DER certificate: the value of EF.SOD tag ``85``."""
        return hashlib.sha256(self.cert_der).digest()


@dataclasses.dataclass(frozen=True, repr=False)
class CardImage:
    """Everything a virtual card holds: files by FID, the card's private key and its ATR."""

    files: dict[int, bytes]
    private_key: ec.EllipticCurvePrivateKey
    atr: bytes
    aid: bytes = AID

    def __repr__(self) -> str:
        # File contents are personal data: show sizes only.
        sizes = ", ".join(f"{fid:04X}:{len(data)}" for fid, data in sorted(self.files.items()))
        return f"CardImage(atr={self.atr.hex()}, files=[{sizes}])"

    def with_files(self, **changes: bytes) -> CardImage:
        """A copy with some files replaced, by name: holder, photo, card_cert, sod."""
        fids = {"holder": FID_HOLDER, "photo": FID_PHOTO, "card_cert": FID_CARDCERT, "sod": FID_SOD}
        files = dict(self.files)
        for name, data in changes.items():
            files[fids[name]] = data
        return dataclasses.replace(self, files=files)


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def make_issuer_ca(
    common_name: str = "RID-1 Demo Issuer CA",
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> IssuerCA:
    """Create an issuer CA (P-256 key, self-signed X.509 CA certificate).

    Args:
        common_name: Subject CN of the CA certificate.
        not_before: Start of validity; default ten years ago.
        not_after: End of validity; default in twenty years.
    """
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = not_before or now - dt.timedelta(days=3652)
    end = not_after or now + dt.timedelta(days=7305)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Resident ID Authority"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    # digitalSignature too: the issuer key also signs EF.SOD directly.
    cert = pki.self_signed_ca(key, name, start, end, digital_signature=True)
    return IssuerCA(key=key, cert=cert)


def make_photo_jpeg(seed: str) -> bytes:
    """A small portrait-like JPEG (102x126 px, 2..30 KB), the same for the same seed."""
    rng = random.Random(seed)
    img = Image.new("RGB", (102, 126), (235, 238, 242))
    draw = ImageDraw.Draw(img)
    # A head and shoulders, plus seeded speckle so the JPEG is not trivially small.
    skin = (rng.randint(200, 240), rng.randint(170, 200), rng.randint(140, 170))
    draw.ellipse((31, 20, 71, 70), fill=skin)
    draw.rectangle((16, 80, 86, 126), fill=(40, 50, 70))
    for _ in range(900):
        x, y = rng.randrange(102), rng.randrange(126)
        shade = rng.randint(0, 255)
        draw.point((x, y), fill=(shade, shade, shade))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=80)
    data = out.getvalue()
    if not 2048 <= len(data) <= 30 * 1024:  # the profile's bounds for EF.PHOTO
        raise RuntimeError(f"photo of {len(data)} bytes is outside 2..30 KB")
    return data


def holder_file(resident: Resident, *, extra: dict[int, bytes] | None = None) -> bytes:
    """EF.HOLDER of ``resident``: template ``61`` with DF01..DF09 (plus optional extra tags)."""
    fields = [
        (0xDF01, resident.id_number),
        (0xDF02, resident.name),
        (0xDF03, resident.sex),
        (0xDF04, resident.ethnicity),
        (0xDF05, resident.birth_date),
        (0xDF06, resident.address),
        (0xDF07, resident.issuing_authority),
        (0xDF08, resident.valid_from),
        (0xDF09, resident.valid_until),
    ]
    body = b"".join(tlv(tag, value.encode("utf-8")) for tag, value in fields)
    for tag, value in (extra or {}).items():
        body += tlv(tag, value)
    return tlv(0x61, body)


def sign_sod(issuer: IssuerCA, holder: bytes, photo: bytes, card_cert: bytes) -> bytes:
    """EF.SOD over the three files, signed by ``issuer``."""
    values = [
        SHA256_OID_DER,
        hashlib.sha256(holder).digest(),
        hashlib.sha256(photo).digest(),
        hashlib.sha256(card_cert).digest(),
    ]
    signature = issuer.key.sign(b"".join(values), ec.ECDSA(hashes.SHA256()))
    body = b"".join(tlv(0x80 + i, v) for i, v in enumerate(values))
    body += tlv(0x84, signature) + tlv(0x85, issuer.fingerprint)
    return tlv(0x77, body)


def _card_validity(
    resident: Resident, issuer: IssuerCA, today: dt.date
) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.strptime(resident.valid_from, "%Y%m%d").replace(tzinfo=_CST)
    # A card issued "today" must already be valid even if valid_from is in the future. The
    # certificate outlives DF09 (up to the CA's end) so that an expired card is refused as
    # card_expired, the reason the profile gives for it, not as cardcert_not_valid.
    return min(start, _utc(today)), issuer.cert.not_valid_after_utc


def issue_card(
    resident: Resident,
    issuer: IssuerCA,
    *,
    today: dt.date | None = None,
    atr: bytes | None = None,
    card_key: ec.EllipticCurvePrivateKey | None = None,
    photo_jpeg: bytes | None = None,
) -> CardImage:
    """Issue a card for ``resident`` signed by ``issuer``.

    Args:
        resident: Whose data goes into EF.HOLDER (any field may be forged with
            ``dataclasses.replace`` to make invalid cards).
        issuer: The issuer CA that signs EF.CARDCERT and EF.SOD.
        today: Issue date (defaults to today, CST); the card certificate is valid from the
            earlier of this day and the card's valid-from date until the issuer CA's end.
        atr: The card's ATR; default a T=1 ATR (see ``atr_t1``).
        card_key: The card's private key; default a fresh P-256 key.
        photo_jpeg: EF.PHOTO's JPEG (2..30 KB); default a synthetic face-free picture (for
            the face check, a real face: ``simulators.camera_server.card_photo_jpeg``).

    Returns:
        The card image with EF.HOLDER, EF.PHOTO, EF.CARDCERT and EF.SOD.
    """
    today = today or dt.datetime.now(_CST).date()
    key = card_key or ec.generate_private_key(ec.SECP256R1())
    not_before, not_after = _card_validity(resident, issuer, today)
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                    # The serial is not personal data; the ID number never goes into the cert.
                    x509.NameAttribute(NameOID.COMMON_NAME, "RID-1 card"),
                ]
            )
        )
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(issuer.key, hashes.SHA256())
    )
    card_cert = cert.public_bytes(serialization.Encoding.DER)
    holder = holder_file(resident)
    photo = tlv(0x5F2E, photo_jpeg if photo_jpeg is not None else make_photo_jpeg(resident.key))
    sod = sign_sod(issuer, holder, photo, card_cert)
    return CardImage(
        files={FID_HOLDER: holder, FID_PHOTO: photo, FID_CARDCERT: card_cert, FID_SOD: sod},
        private_key=key,
        atr=atr if atr is not None else atr_t1(),
    )


# ------------------------------------------------------------------------- broken cards
# Each builder returns a card that a careful terminal must refuse (or, for the tolerated
# oddities, accept). The transport-level misbehaviours (61XX, 6CXX, pulled out mid-read) are
# applet variants: see ``simulators.virtual_card.make_applet``.

OTHER_AID = bytes.fromhex("A000000003000000")  # some other application (not RID-1)


def forge_sod(image: CardImage, issuer: IssuerCA) -> CardImage:
    """EF.SOD re-signed by a forger's key while still naming ``issuer`` in tag ``85``."""
    forger = make_issuer_ca("Forger CA")
    forged = sign_sod(
        forger, image.files[FID_HOLDER], image.files[FID_PHOTO], image.files[FID_CARDCERT]
    ).replace(forger.fingerprint, issuer.fingerprint)
    return image.with_files(sod=forged)


def swap_photo(image: CardImage, *, patch_sod_hash: bool) -> CardImage:
    """EF.PHOTO replaced by another person's photo.

    Args:
        image: The genuine card.
        patch_sod_hash: Whether the forger also wrote the new photo's hash into EF.SOD tag
            ``82`` (so a photo-comparing terminal would not see a hash mismatch); the SOD
            signature then no longer verifies. Without it, EF.SOD is untouched and only a
            terminal that reads EF.PHOTO could notice.
    """
    new_photo = tlv(0x5F2E, make_photo_jpeg("somebody else"))
    if not patch_sod_hash:
        return image.with_files(photo=new_photo)
    old_hash = hashlib.sha256(image.files[FID_PHOTO]).digest()
    sod = image.files[FID_SOD].replace(old_hash, hashlib.sha256(new_photo).digest())
    return image.with_files(photo=new_photo, sod=sod)


def clone_card(image: CardImage) -> CardImage:
    """Every file copied byte for byte, but the card's private key is not (it cannot be read)."""
    return dataclasses.replace(image, private_key=ec.generate_private_key(ec.SECP256R1()))


def expired_resident(resident: Resident, today: dt.date | None = None) -> Resident:
    """``resident`` with a card that expired yesterday (China Standard Time)."""
    today = today or dt.datetime.now(_CST).date()
    until = today - dt.timedelta(days=1)
    start = until.replace(year=until.year - 20)
    return dataclasses.replace(
        resident, valid_from=start.strftime("%Y%m%d"), valid_until=until.strftime("%Y%m%d")
    )


def wrong_check_char_resident(resident: Resident) -> Resident:
    """``resident`` with the last character of the ID number changed."""
    last = resident.id_number[17]
    wrong = next(c for c in "0123456789X" if c != last)
    return dataclasses.replace(resident, id_number=resident.id_number[:17] + wrong)


def with_extra_tags(image: CardImage, resident: Resident, issuer: IssuerCA) -> CardImage:
    """A later-generation card: EF.HOLDER has tags the profile does not know (correctly signed)."""
    holder = holder_file(resident, extra={0xDF20: "新字段".encode(), 0x5F10: b"\x01\x02"})
    sod = sign_sod(issuer, holder, image.files[FID_PHOTO], image.files[FID_CARDCERT])
    return image.with_files(holder=holder, sod=sod)


def other_application(image: CardImage) -> CardImage:
    """A card that is not an ID card: same files, but behind another AID."""
    return dataclasses.replace(image, aid=OTHER_AID)


# ------------------------------------------------------------------------- certified readers

# The holder text block of sdtapi/termb readers: UCS-2LE, fixed-width fields (bytes).
SECURITY_MODULE_LAYOUT = (
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


def security_module_block(resident: Resident, *, size: int = 256) -> bytes:
    """The 256-byte holder block a certified reader's library returns for ``resident``.

    Each field is UCS-2LE padded with spaces to its width; the rest is reserved (spaces).
    """
    out = b""
    for field, width in SECURITY_MODULE_LAYOUT:
        encoded = str(getattr(resident, field)).encode("utf-16-le")[:width]
        out += encoded + " ".encode("utf-16-le") * ((width - len(encoded)) // 2)
    return out + b" \x00" * ((size - len(out)) // 2)
