"""Card checks of kiosk.card.identity: a genuine card passes, each forgery gets its reason."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from devices.card_reader import SecurityModuleText
from devices.rid_card import CardFiles
from kiosk.card.identity import (
    VERIFIED_BY_SECURITY_MODULE,
    Holder,
    TlvError,
    check_card,
    holder_from_security_module,
    parse_single,
    parse_tlv,
    parse_tlvs,
    today_in_china,
)
from kiosk.errors import CardInvalid
from simulators.card_factory import (
    FID_CARDCERT,
    FID_HOLDER,
    FID_PHOTO,
    FID_SOD,
    CardImage,
    IssuerCA,
    holder_file,
    issue_card,
    make_issuer_ca,
    sign_sod,
    tlv,
)
from simulators.residents import WANG_XIUYING, ZHANG_WEI, Resident, make_id_number

TODAY = dt.date(2026, 11, 20)


def files_of(image: CardImage) -> CardFiles:
    return CardFiles(image.files[FID_HOLDER], image.files[FID_CARDCERT], image.files[FID_SOD])


def sign(key: ec.EllipticCurvePrivateKey, challenge: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(challenge, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def check(
    image: CardImage,
    ca: IssuerCA,
    *,
    files: CardFiles | None = None,
    key: ec.EllipticCurvePrivateKey | None = None,
    anchors: list[bytes] | None = None,
    today: dt.date = TODAY,
) -> Holder:
    challenge = os.urandom(32)
    return check_card(
        files or files_of(image),
        signature=sign(key or image.private_key, challenge),
        challenge=challenge,
        trust_anchors=anchors if anchors is not None else [ca.cert_der],
        today_cst=today,
        now=dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC),
    )


def reason(excinfo: pytest.ExceptionInfo[CardInvalid]) -> str:
    return excinfo.value.reason


def test_genuine_card_passes(issuer_ca: IssuerCA) -> None:
    holder = check(issue_card(ZHANG_WEI, issuer_ca), issuer_ca)

    assert holder.id_number == ZHANG_WEI.id_number
    assert holder.name == "张伟"
    assert holder.birth_date == dt.date(1987, 3, 15)
    assert holder.valid_until == dt.date(2039, 6, 1)
    assert holder.issuing_authority == ZHANG_WEI.issuing_authority


def test_no_expiry_card_passes_far_in_future() -> None:
    ca = make_issuer_ca(not_after=dt.datetime(2099, 12, 31, tzinfo=dt.UTC))
    holder = check(issue_card(WANG_XIUYING, ca), ca, today=dt.date(2090, 1, 1))
    assert holder.valid_until is None


def test_holder_repr_and_str_are_masked(
    issuer_ca: IssuerCA, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    holder = check(issue_card(ZHANG_WEI, issuer_ca), issuer_ca)

    assert holder.id_masked == ZHANG_WEI.id_number[:4] + "*" * 10 + ZHANG_WEI.id_number[-4:]
    assert holder.name_masked == "张*"
    for text in (repr(holder), str(holder), f"{holder}", caplog.text):
        assert ZHANG_WEI.id_number not in text
        assert "张伟" not in text
        assert ZHANG_WEI.address not in text
    assert holder.id_masked in repr(holder)


def test_unknown_tags_in_holder_are_skipped(issuer_ca: IssuerCA) -> None:
    image = issue_card(ZHANG_WEI, issuer_ca)
    holder = holder_file(ZHANG_WEI, extra={0xDF20: b"new field", 0x5F10: b"\x01"})
    sod = sign_sod(issuer_ca, holder, image.files[FID_PHOTO], image.files[FID_CARDCERT])

    assert check(image.with_files(holder=holder, sod=sod), issuer_ca).name == "张伟"


def test_forged_sod_signature(issuer_ca: IssuerCA) -> None:
    image = issue_card(ZHANG_WEI, issuer_ca)
    forger = make_issuer_ca()
    # Right fingerprint (tag 85) but signed by another key.
    forged = sign_sod(
        forger, image.files[FID_HOLDER], image.files[FID_PHOTO], image.files[FID_CARDCERT]
    ).replace(forger.fingerprint, issuer_ca.fingerprint)

    with pytest.raises(CardInvalid) as info:
        check(image.with_files(sod=forged), issuer_ca)
    assert reason(info) == "sod_signature"


def test_unknown_issuer(issuer_ca: IssuerCA) -> None:
    with pytest.raises(CardInvalid) as info:
        check(issue_card(ZHANG_WEI, issuer_ca), issuer_ca, anchors=[make_issuer_ca().cert_der])
    assert reason(info) == "unknown_issuer"


def test_expired_issuer_ca() -> None:
    old = make_issuer_ca(
        not_before=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        not_after=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    )
    with pytest.raises(CardInvalid) as info:
        check(issue_card(ZHANG_WEI, old), old)
    assert reason(info) == "issuer_not_valid"


def test_holder_hash(issuer_ca: IssuerCA) -> None:
    image = issue_card(ZHANG_WEI, issuer_ca)
    other = holder_file(dataclasses.replace(ZHANG_WEI, name="张三"))

    with pytest.raises(CardInvalid) as info:
        check(image.with_files(holder=other), issuer_ca)
    assert reason(info) == "holder_hash"


def test_cardcert_hash(issuer_ca: IssuerCA) -> None:
    image = issue_card(ZHANG_WEI, issuer_ca)
    other = issue_card(ZHANG_WEI, issuer_ca)

    with pytest.raises(CardInvalid) as info:
        check(image.with_files(card_cert=other.files[FID_CARDCERT]), issuer_ca)
    assert reason(info) == "cardcert_hash"


def test_cardcert_from_another_issuer(issuer_ca: IssuerCA) -> None:
    # The SOD is genuine, but the card certificate inside it was issued by someone else.
    image = issue_card(ZHANG_WEI, issuer_ca)
    alien_cert = issue_card(ZHANG_WEI, make_issuer_ca()).files[FID_CARDCERT]
    sod = sign_sod(issuer_ca, image.files[FID_HOLDER], image.files[FID_PHOTO], alien_cert)

    with pytest.raises(CardInvalid) as info:
        check(image.with_files(card_cert=alien_cert, sod=sod), issuer_ca)
    assert reason(info) == "cardcert_issuer"


def test_cloned_card_fails_active_auth(issuer_ca: IssuerCA) -> None:
    # A copy of every file, but without the card's private key.
    image = issue_card(ZHANG_WEI, issuer_ca)
    with pytest.raises(CardInvalid) as info:
        check(image, issuer_ca, key=ec.generate_private_key(ec.SECP256R1()))
    assert reason(info) == "active_auth"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {
                "id_number": ZHANG_WEI.id_number[:17]
                + ("1" if ZHANG_WEI.id_number[17] != "1" else "2")
            },
            "id_check_char",
        ),
        ({"birth_date": "19870316"}, "birth_date_mismatch"),
        ({"id_number": make_id_number("991102", "19870315", "001")}, "unknown_region"),
        ({"valid_from": "20060101", "valid_until": "20260101"}, "card_expired"),
        ({"sex": "9"}, "malformed_data"),
        (
            {"birth_date": "19870231", "id_number": make_id_number("321102", "19870231", "001")},
            "malformed_data",
        ),
    ],
)
def test_holder_content_checks(issuer_ca: IssuerCA, change: dict[str, Any], expected: str) -> None:
    resident: Resident = dataclasses.replace(ZHANG_WEI, **change)
    with pytest.raises(CardInvalid) as info:
        check(issue_card(resident, issuer_ca), issuer_ca)
    assert reason(info) == expected


@pytest.mark.parametrize(
    "id_number",
    [
        make_id_number("830000", "19870315", "001"),  # Taiwan residents' residence permit
        make_id_number("932110", "19870315", "001"),  # foreigner's permanent residence card
    ],
    ids=["83-permit", "9-foreigner"],
)
def test_the_other_region_prefixes_of_check_5_are_known(
    issuer_ca: IssuerCA, id_number: str
) -> None:
    resident = dataclasses.replace(ZHANG_WEI, id_number=id_number)
    assert check(issue_card(resident, issuer_ca), issuer_ca).id_number == id_number


# ------------------------------------------------------------------ certified readers
def module_text(**change: str) -> SecurityModuleText:
    """A resident ID card's text as a certified reader gives it (padding cut)."""
    fields = {
        "name": ZHANG_WEI.name,
        "sex": ZHANG_WEI.sex,
        "ethnicity": ZHANG_WEI.ethnicity,
        "birth_date": ZHANG_WEI.birth_date,
        "address": ZHANG_WEI.address,
        "id_number": ZHANG_WEI.id_number,
        "issuing_authority": ZHANG_WEI.issuing_authority,
        "valid_from": ZHANG_WEI.valid_from,
        "valid_until": ZHANG_WEI.valid_until,
        "document": "resident_id",
    } | change
    return SecurityModuleText(**fields)


def test_a_certified_reading_of_a_resident_id_card_is_checked_and_marked() -> None:
    holder = holder_from_security_module(module_text(), today_cst=TODAY)
    assert holder.id_number == ZHANG_WEI.id_number
    assert holder.verified_by == VERIFIED_BY_SECURITY_MODULE


@pytest.mark.parametrize(
    ("document", "region", "accepted"),
    [
        ("hmt_residence_permit", "810000", True),
        ("hmt_residence_permit", "830000", True),
        ("hmt_residence_permit", "321102", False),  # a mainland number on a permit
        ("foreign_permanent_resident", "932110", True),
        ("foreign_permanent_resident", "321102", False),
        ("resident_id", "932110", False),  # a foreigner's number on a resident ID card
    ],
)
def test_a_permit_number_must_fit_its_document(document: str, region: str, accepted: bool) -> None:
    number = make_id_number(region, "19870315", "001")
    text = module_text(document=document, id_number=number, birth_date="19870315")
    if document != "resident_id":
        # The permits carry no address or ethnicity in the resident card's formats.
        text = dataclasses.replace(text, address="", ethnicity="")
    if accepted:
        assert holder_from_security_module(text, today_cst=TODAY).id_number == number
    else:
        with pytest.raises(CardInvalid) as info:
            holder_from_security_module(text, today_cst=TODAY)
        assert reason(info) == "unknown_region"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"document": "passport"}, "malformed_data"),
        # A foreigner's card of the 2004 kind has a 15-character number: not taken (§2b).
        (
            {"document": "foreign_permanent_resident", "id_number": "USA320087031501"},
            "malformed_data",
        ),
        ({"valid_from": "20270101", "valid_until": "长期"}, "malformed_data"),  # not yet valid
        ({"valid_from": "20200101", "valid_until": "20190101"}, "malformed_data"),
        ({"valid_until": "20261119"}, "card_expired"),
        ({"birth_date": "19870316"}, "birth_date_mismatch"),
        ({"id_number": ZHANG_WEI.id_number[:17] + "0"}, "id_check_char"),
        ({"name": ""}, "malformed_data"),
    ],
)
def test_a_certified_reading_is_refused_for_what_its_text_shows(
    change: dict[str, str], expected: str
) -> None:
    with pytest.raises(CardInvalid) as info:
        holder_from_security_module(module_text(**change), today_cst=TODAY)
    assert reason(info) == expected


def test_expiry_uses_the_whole_last_day(issuer_ca: IssuerCA) -> None:
    resident = dataclasses.replace(ZHANG_WEI, valid_until="20261120")
    holder = check(issue_card(resident, issuer_ca, today=TODAY), issuer_ca, today=TODAY)
    assert holder.name == resident.name


def test_truncated_sod_is_malformed(issuer_ca: IssuerCA) -> None:
    image = issue_card(ZHANG_WEI, issuer_ca)
    with pytest.raises(CardInvalid) as info:
        check(image.with_files(sod=image.files[FID_SOD][:-5]), issuer_ca)
    assert reason(info) == "malformed_data"


def test_today_in_china_is_utc_plus_8() -> None:
    now = dt.datetime.now(dt.UTC)
    assert today_in_china() in {
        (now + dt.timedelta(hours=8)).date(),
        (now + dt.timedelta(hours=8, seconds=5)).date(),
    }


def test_tlv_parser() -> None:
    long_value = b"x" * 300
    data = tlv(0x5F2E, long_value) + tlv(0x80, b"")
    first, _ = parse_tlv(data)
    assert (first.tag, first.value, first.constructed) == (0x5F2E, long_value, False)
    assert [t.tag for t in parse_tlvs(data)] == [0x5F2E, 0x80]
    assert parse_single(tlv(0x61, tlv(0xDF01, b"a")), 0x61).children()[0].value == b"a"
    with pytest.raises(TlvError):
        parse_tlv(bytes.fromhex("6180"))  # indefinite length
    with pytest.raises(TlvError):
        parse_tlv(bytes.fromhex("6105AABB"))  # runs past the data
    with pytest.raises(TlvError):
        parse_single(tlv(0x61, b"") + b"\x00", 0x61)  # trailing byte
