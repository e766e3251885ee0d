"""Masking of personal data: names, ID numbers and mobile numbers, the one set of rules.

The kiosk stands in a public hall: whatever it shows, prints or logs carries a resident's
name, ID number or phone only masked. Screens, receipt, PDF, ``Holder`` and the log filter
all mask through this module.

The platform's texts (record titles, authorities, details, repair guides) are shown as sent,
but they may hold the resident's full name or someone's ID number: ``masked_report`` and
``masked_guide`` give the copies a resident screen shows (printing is not in scope: a
receipt and the A4 report are the resident's own papers).
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Types only: the log filter imports this module, which stays free of the HTTP client.
    from kiosk.platform.models import RepairGuide
    from kiosk.platform.report import Record, Report, Section

# An 18-character resident ID number: 17 ASCII digits and a check character (a digit, or X
# in either case), not part of a longer run of digits (an order or account number).
_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}(?:[0-9](?![0-9])|[Xx])")
# A mainland mobile number: 11 digits from 13x to 19x, not part of a longer run of digits.
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
# An HTTP bearer token as it would appear in an exception text.
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def mask_name(name: str) -> str:
    """A name as it may be shown: first character, then one ``*`` per other character
    (``欧阳娜娜`` -> ``欧***``). A one-character name is all ``*``: its first character is
    the whole name, so the platform's rule would show it unmasked."""
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_id_number(id_number: str) -> str:
    """First four and last four characters, the rest ``*``, as the platform sends
    ``id_masked`` (``3211**********123X``); eight characters or fewer are all ``*``."""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_mobile_number(phone: str) -> str:
    """First three and last four digits (``138****1234``), as the platform's ``phone_masked``."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_numbers(text: str) -> str:
    """``text`` with every ID number and mobile number in it masked, whoever they belong to."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    return _MOBILE.sub(lambda m: mask_mobile_number(m.group()), text)


def mask_text(text: str) -> str:
    """``text`` as a log line or the staff log viewer may show it: ID numbers and mobile
    numbers masked (``mask_numbers``), bearer tokens redacted."""
    return _BEARER.sub(lambda m: m.group(1) + "<redacted>", mask_numbers(text))


def mask_personal_text(text: str, *, name: str) -> str:
    """``text`` as a public screen may show it: every occurrence of the resident's full
    ``name`` masked (letter case ignored, for names in Latin script), then every ID number
    and mobile number (``mask_numbers``).

    Only the full name is found: a given name alone, or a name written another way
    (pinyin, spaced out), is not recognised.
    """
    name = name.strip()
    if name:
        # A function, not a replacement string: the masked form is taken as it is.
        pattern = re.compile(re.escape(name), re.IGNORECASE)
        text = pattern.sub(lambda m: mask_name(m.group()), text)
    return mask_numbers(text)


def masked_record(record: Record, *, name: str) -> Record:
    """A copy of ``record`` with every text a screen shows masked (the id and dates kept)."""

    def mask(text: str) -> str:
        return mask_personal_text(text, name=name)

    # A status code the kiosk knows is shown in its own words and stays as it is; an
    # unknown one is free text shown as sent.
    known_status = record.status_text != record.status
    return dataclasses.replace(
        record,
        title=mask(record.title),
        authority=mask(record.authority),
        status=record.status if known_status else mask(record.status),
        detail=None if record.detail is None else mask(record.detail),
    )


def masked_section(section: Section, *, name: str) -> Section:
    """A copy of ``section`` with its title and every record masked."""
    return dataclasses.replace(
        section,
        title=mask_personal_text(section.title, name=name),
        records=tuple(masked_record(r, name=name) for r in section.records),
    )


def masked_report(report: Report) -> Report:
    """The report as a resident screen shows it: the subject masked, and the platform's
    texts masked with the subject's name. The report itself (printing, disputes) is not
    changed; record ids stay, so what the screen asks for still names the right record."""
    name = report.subject.name
    # ``id_masked`` comes masked; a full number sent by mistake would be masked here too.
    subject = dataclasses.replace(
        report.subject, name=mask_name(name), id_masked=mask_numbers(report.subject.id_masked)
    )
    return dataclasses.replace(
        report,
        subject=subject,
        sections=tuple(masked_section(s, name=name) for s in report.sections),
    )


def masked_guide(guide: RepairGuide, *, name: str) -> RepairGuide:
    """A copy of a repair guide with every text a screen shows masked."""

    def mask(text: str) -> str:
        return mask_personal_text(text, name=name)

    return dataclasses.replace(
        guide,
        title=mask(guide.title),
        steps=tuple(mask(step) for step in guide.steps),
        where=mask(guide.where),
        documents=tuple(mask(item) for item in guide.documents),
        hall_window=mask(guide.hall_window),
        hours=mask(guide.hours),
    )
