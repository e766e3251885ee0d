"""Masking (kiosk.privacy): names, ID numbers and mobile numbers, in fields and in free text,
and the masked copies of a report and a repair guide that the resident screens show."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk import privacy
from kiosk.platform.models import RepairGuide
from kiosk.platform.report import parse_report

NAME = "欧阳娜娜"
ID_NUMBER = "32111219570704213X"
OTHER_ID = "110105194912310021"  # someone else's: masked as well


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("欧阳娜娜", "欧***"), ("张", "*"), ("", ""), ("SMITH JOHN", "S*********")],
)
def test_mask_name(name: str, masked: str) -> None:
    assert privacy.mask_name(name) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        (ID_NUMBER, "3211**********213X"),  # the style of the platform's id_masked
        (OTHER_ID, "1101**********0021"),
        ("12345678", "********"),
    ],
)
def test_mask_id_number(number: str, masked: str) -> None:
    assert privacy.mask_id_number(number) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"姓名：{NAME}，身份证号{ID_NUMBER}。", "姓名：欧***，身份证号3211**********213X。"),
        # Anyone's ID number, lower-case x included, also glued to letters.
        ("申请人ID110105194912310021", "申请人ID1101**********0021"),
        ("11010519491231002x", "1101**********002x"),
        ("手机13912345678，座机0511-84412345", "手机139****5678，座机0511-84412345"),
        # Longer runs of digits are other numbers (orders, accounts): left alone.
        ("单号1234567890123456789", "单号1234567890123456789"),
        ("流水号139123456789", "流水号139123456789"),
        # The full name only: the given name alone, or nothing like it, stays.
        ("娜娜已缴纳罚款", "娜娜已缴纳罚款"),
        (f"{NAME}{NAME}", "欧***欧***"),
    ],
)
def test_mask_personal_text(text: str, masked: str) -> None:
    assert privacy.mask_personal_text(text, name=NAME) == masked


def test_a_latin_name_is_found_whatever_its_case() -> None:
    masked = privacy.mask_personal_text("Holder: Smith John", name="SMITH JOHN")
    assert masked == "Holder: S*********"


def test_an_empty_name_masks_only_numbers() -> None:
    assert privacy.mask_personal_text(f"a{ID_NUMBER}b", name=" ") == "a3211**********213Xb"


def test_a_one_character_name_is_masked_wherever_the_character_stands() -> None:
    # Over-masking, but a one-character name shown anywhere would be the whole name.
    assert privacy.mask_personal_text("姓名：华，华夏银行", name="华") == "姓名：*，*夏银行"


# What the property tests draw: names of 1..6 CJK characters (or Latin letters), and texts
# built from filler (CJK, digits, letters, punctuation) with names, ID numbers and mobiles
# dropped in, so the pieces also touch each other and runs of digits.
_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_NAMES = st.one_of(
    st.text(_CJK, min_size=1, max_size=6),
    st.text(st.sampled_from("ABCXYZabcxyz ·"), min_size=2, max_size=12).filter(str.strip),
)
_ID_NUMBERS = st.builds(
    lambda digits, check: digits + check,
    st.text("0123456789", min_size=17, max_size=17),
    st.sampled_from("0123456789Xx"),
)
_MOBILES = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
)
_FILLER = st.text(
    st.one_of(_CJK, st.sampled_from("0123456789Xx*：，。 -abcABC")), min_size=0, max_size=8
)

# An ID number as the issue defines it, written independently of kiosk.privacy.
_AN_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}(?:[0-9](?![0-9])|[Xx])")


@st.composite
def _texts_with(draw: st.DrawFn, name: str) -> str:
    pieces = draw(st.lists(st.one_of(_FILLER, st.just(name), _ID_NUMBERS, _MOBILES), max_size=8))
    return "".join(pieces)


@given(st.data(), _NAMES)
def test_masked_text_never_holds_the_name_or_an_id_number(data: st.DataObject, name: str) -> None:
    text = data.draw(_texts_with(name))
    masked = privacy.mask_personal_text(text, name=name)
    assert name.strip().casefold() not in masked.casefold()
    assert _AN_ID_NUMBER.search(masked) is None
    for found in _AN_ID_NUMBER.finditer(text):
        assert privacy.mask_id_number(found.group()) in masked
    assert len(masked) == len(text)  # masking hides characters, it never drops any


@given(_NAMES, _ID_NUMBERS)
def test_masking_twice_changes_nothing_more(name: str, number: str) -> None:
    once = privacy.mask_personal_text(f"{name}，{number}", name=name)
    assert privacy.mask_personal_text(once, name=name) == once


_PAYLOAD = {
    "report_id": "R1",
    "verification_code": "K7Q2-9XMP",
    "generated_at": "2026-11-24T10:00:00+08:00",
    "valid_until": "2026-12-24T10:00:00+08:00",
    "subject": {"name": NAME, "id_masked": "3211**********213X"},
    "summary": {"negative_count": 1, "positive_count": 0, "status": "has_negative"},
    "sections": [
        {
            "code": "identity",
            "title": "身份信息",
            "records": [
                {
                    "record_id": "I-1",
                    "date": "2020-01-01",
                    "authority": "公安机关",
                    "title": "居民身份证",
                    "detail": f"姓名：{NAME}　公民身份号码：{ID_NUMBER}　手机：13812341234",
                    "status": "in_effect",
                }
            ],
        },
        {
            "code": "x_custom",
            "title": f"{NAME}的其他信息",
            "records": [
                {
                    "record_id": "X-1",
                    "date": "2024-05-02",
                    "authority": f"{NAME}所在社区",
                    "title": f"对{NAME}（{ID_NUMBER}）的处罚",
                    "status": f"待{NAME}确认",
                    "repair": {"eligible": True, "guide_id": "g-1"},
                }
            ],
        },
    ],
}


def test_the_screen_copy_of_a_report_holds_no_name_or_id_number() -> None:
    report = parse_report(_PAYLOAD)
    shown = privacy.masked_report(report)
    assert NAME not in repr(shown) and ID_NUMBER not in repr(shown)
    assert "13812341234" not in repr(shown)
    assert shown.subject.name == "欧***"
    identity = shown.sections[0].records[0]
    assert identity.detail == "姓名：欧***　公民身份号码：3211**********213X　手机：138****1234"
    custom = shown.sections[1]
    assert custom.title == "欧***的其他信息"
    assert custom.records[0].title == "对欧***（3211**********213X）的处罚"
    assert custom.records[0].authority == "欧***所在社区"
    assert custom.records[0].status == "待欧***确认"  # an unknown status is free text
    # What the screen acts on stays: record ids, codes, dates, repair, known statuses.
    assert [r.record_id for s in shown.sections for r in s.records] == ["I-1", "X-1"]
    assert identity.status == "in_effect" and identity.status_text == "有效"
    assert custom.records[0].repair == report.sections[1].records[0].repair
    assert shown.summary == report.summary and shown.report_id == report.report_id
    # The report itself is untouched: printing and disputes use it as the platform sent it.
    assert report.subject.name == NAME
    assert report.sections[0].records[0].detail is not None
    assert ID_NUMBER in report.sections[0].records[0].detail


def test_the_screen_copy_of_a_guide_holds_no_name_or_id_number() -> None:
    guide = RepairGuide(
        guide_id="g-1",
        title=f"{NAME}的信用修复",
        steps=(f"{NAME}本人提交申请", f"核对身份证号{ID_NUMBER}"),
        where=f"为{NAME}预约的窗口",
        documents=(f"{NAME}的身份证",),
        hall_window=f"3号窗口（{NAME}）",
        hours="9:00-17:00，咨询13912345678",
    )
    shown = privacy.masked_guide(guide, name=NAME)
    assert NAME not in repr(shown) and ID_NUMBER not in repr(shown)
    assert shown.steps == ("欧***本人提交申请", "核对身份证号3211**********213X")
    assert shown.hours == "9:00-17:00，咨询139****5678"
    assert shown.title == "欧***的信用修复" and shown.where == "为欧***预约的窗口"
    assert shown.documents == ("欧***的身份证",) and shown.hall_window == "3号窗口（欧***）"
    assert shown.guide_id == "g-1"
