"""The personal credit report: typed model of the platform's verified report payload."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from kiosk import errors
from kiosk.i18n import QT_TRANSLATE_NOOP

# Sections whose records count against the resident. A record elsewhere that carries a
# ``repair`` object is negative too (only negative records can be repaired).
NEGATIVE_SECTIONS = frozenset({"admin_penalty", "dishonest_debtor", "serious_dishonesty"})

# Times are shown to residents in China Standard Time, whatever offset the platform used.
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


def shown_time(moment: dt.datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``moment`` as a resident reads it: China Standard Time."""
    return moment.astimezone(CHINA_TZ).strftime(fmt)


# The spec's section codes with the kiosk's own names, so the screens can show them in another
# language (in Chinese the platform's title is shown as sent; unknown codes always are).
SECTION_NAMES = {
    "identity": QT_TRANSLATE_NOOP("Sections", "身份信息"),
    "honors": QT_TRANSLATE_NOOP("Sections", "表彰奖励"),
    "redlist": QT_TRANSLATE_NOOP("Sections", "守信激励名单"),
    "admin_license": QT_TRANSLATE_NOOP("Sections", "行政许可"),
    "admin_penalty": QT_TRANSLATE_NOOP("Sections", "行政处罚"),
    "dishonest_debtor": QT_TRANSLATE_NOOP("Sections", "失信被执行人"),
    "serious_dishonesty": QT_TRANSLATE_NOOP("Sections", "严重失信主体名单"),
    "tax": QT_TRANSLATE_NOOP("Sections", "纳税信用"),
    "social_insurance": QT_TRANSLATE_NOOP("Sections", "社会保险"),
    "commitments": QT_TRANSLATE_NOOP("Sections", "信用承诺履约"),
    "repair": QT_TRANSLATE_NOOP("Sections", "信用修复记录"),
    "objections": QT_TRANSLATE_NOOP("Sections", "异议处理"),
    "query_log": QT_TRANSLATE_NOOP("Sections", "查询记录"),
}

RECORD_STATUS_TEXT = {
    "in_effect": QT_TRANSLATE_NOOP("Status", "有效"),
    "repaired": QT_TRANSLATE_NOOP("Status", "已修复"),
    "expired": QT_TRANSLATE_NOOP("Status", "已过期"),
    "under_objection": QT_TRANSLATE_NOOP("Status", "异议处理中"),
}


@dataclasses.dataclass(frozen=True)
class Repair:
    """Whether and from when a negative record can be repaired."""

    eligible: bool
    guide_id: str | None = None
    earliest_date: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class Record:
    """One entry of a section (a penalty, a listing, a query...)."""

    record_id: str
    date: dt.date
    authority: str
    title: str
    status: str
    detail: str | None = None
    repair: Repair | None = None

    @property
    def status_text(self) -> str:
        """Status in plain Chinese; an unknown status is shown as sent."""
        return RECORD_STATUS_TEXT.get(self.status, self.status)


@dataclasses.dataclass(frozen=True)
class Section:
    """A report section; unknown codes are kept and shown with their title."""

    code: str
    title: str
    records: tuple[Record, ...]

    def is_negative(self, record: Record) -> bool:
        """Whether ``record`` of this section counts against the resident."""
        return self.code in NEGATIVE_SECTIONS or record.repair is not None


@dataclasses.dataclass(frozen=True)
class Subject:
    """Whose report this is, already masked by the platform."""

    name: str
    id_masked: str


@dataclasses.dataclass(frozen=True)
class Summary:
    """The platform's counts, shown as given."""

    negative_count: int
    positive_count: int
    status: str

    @property
    def has_negative(self) -> bool:
        """True when the platform says the report has negative records."""
        return self.status == "has_negative"


@dataclasses.dataclass(frozen=True)
class Report:
    """A verified report. Only ever built from a payload whose signature verified."""

    report_id: str
    verification_code: str
    generated_at: dt.datetime
    valid_until: dt.datetime
    subject: Subject
    summary: Summary
    sections: tuple[Section, ...]

    def negative_records(self) -> list[tuple[Section, Record]]:
        """Every negative record with its section, in the payload's order."""
        return [(s, r) for s in self.sections for r in s.records if s.is_negative(r)]


def _text(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise errors.ReportInvalid(f"{where}.{key} missing or not text")
    return value


def _date(text: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise errors.ReportInvalid(f"{where}: {text!r} is not a YYYY-MM-DD date") from None


def parse_time(text: str, where: str = "time") -> dt.datetime:
    """Parse an RFC 3339 time (``Z`` or an offset, fractional seconds allowed)."""
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise errors.ReportInvalid(f"{where}: {text!r} is not an RFC 3339 time") from None
    if value.tzinfo is None:
        raise errors.ReportInvalid(f"{where}: {text!r} has no offset")
    return value


def _repair(raw: object, where: str) -> Repair | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("eligible"), bool):
        raise errors.ReportInvalid(f"{where}.repair is malformed")
    guide = raw.get("guide_id")
    earliest = raw.get("earliest_date")
    return Repair(
        eligible=raw["eligible"],
        guide_id=guide if isinstance(guide, str) else None,
        earliest_date=_date(earliest, f"{where}.repair") if isinstance(earliest, str) else None,
    )


def _record(raw: object, where: str) -> Record:
    if not isinstance(raw, Mapping):
        raise errors.ReportInvalid(f"{where} is not an object")
    detail = raw.get("detail")
    return Record(
        record_id=_text(raw, "record_id", where),
        date=_date(_text(raw, "date", where), where),
        authority=_text(raw, "authority", where),
        title=_text(raw, "title", where),
        status=_text(raw, "status", where),
        detail=detail if isinstance(detail, str) else None,
        repair=_repair(raw.get("repair"), where),
    )


def parse_report(payload: Mapping[str, Any]) -> Report:
    """Build a ``Report`` from a verified JWS payload; unknown fields are ignored.

    Raises:
        kiosk.errors.ReportInvalid: A required field is missing or malformed.
    """
    subject = payload.get("subject")
    summary = payload.get("summary")
    sections = payload.get("sections")
    if not isinstance(subject, Mapping) or not isinstance(summary, Mapping):
        raise errors.ReportInvalid("subject or summary missing")
    if not isinstance(sections, list):
        raise errors.ReportInvalid("sections missing")
    parsed_sections = []
    for i, raw in enumerate(sections):
        where = f"sections[{i}]"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("records"), list):
            raise errors.ReportInvalid(f"{where} is malformed")
        records = tuple(_record(r, f"{where}.records[{j}]") for j, r in enumerate(raw["records"]))
        parsed_sections.append(
            Section(_text(raw, "code", where), _text(raw, "title", where), records)
        )
    counts = (summary.get("negative_count"), summary.get("positive_count"))
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in counts):
        raise errors.ReportInvalid("summary counts missing")
    return Report(
        report_id=_text(payload, "report_id", "report"),
        verification_code=_text(payload, "verification_code", "report"),
        generated_at=parse_time(_text(payload, "generated_at", "report"), "generated_at"),
        valid_until=parse_time(_text(payload, "valid_until", "report"), "valid_until"),
        subject=Subject(_text(subject, "name", "subject"), _text(subject, "id_masked", "subject")),
        summary=Summary(
            summary["negative_count"],
            summary["positive_count"],
            _text(summary, "status", "summary"),
        ),
        sections=tuple(parsed_sections),
    )
