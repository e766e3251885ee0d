"""JSON Schema of the report payload (platform-api.md §4), checked before parsing.

The schema pins down what the kiosk relies on and nothing more: unknown members are allowed
everywhere (the spec says they are ignored) and section codes are free text (an unknown
section is shown with its title, never dropped). A payload that fails it is refused as a
whole: a correctly signed but malformed report is still not shown.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kiosk import errors

if TYPE_CHECKING:
    import jsonschema

_DATE = r"^\d{4}-\d{2}-\d{2}$"
# RFC 3339 date-time with a mandatory offset (Z or ±hh:mm), fractional seconds allowed.
_TIME = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
_CODE = r"^[A-HJ-NP-Za-hj-np-z2-9]{4}-[A-HJ-NP-Za-hj-np-z2-9]{4}$"
_TEXT = {"type": "string", "minLength": 1}

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "report_id",
        "verification_code",
        "generated_at",
        "valid_until",
        "subject",
        "summary",
        "sections",
    ],
    "properties": {
        "report_id": _TEXT,
        "verification_code": {"type": "string", "pattern": _CODE},
        "generated_at": {"type": "string", "pattern": _TIME},
        "valid_until": {"type": "string", "pattern": _TIME},
        "subject": {
            "type": "object",
            "required": ["name", "id_masked"],
            "properties": {"name": _TEXT, "id_masked": _TEXT},
        },
        "summary": {
            "type": "object",
            "required": ["negative_count", "positive_count", "status"],
            "properties": {
                "negative_count": {"type": "integer", "minimum": 0},
                "positive_count": {"type": "integer", "minimum": 0},
                "status": {"enum": ["has_negative", "no_negative"]},
            },
        },
        "sections": {"type": "array", "items": {"$ref": "#/$defs/section"}},
    },
    "$defs": {
        "section": {
            "type": "object",
            "required": ["code", "title", "records"],
            "properties": {
                "code": _TEXT,
                "title": _TEXT,
                "records": {"type": "array", "items": {"$ref": "#/$defs/record"}},
            },
        },
        "record": {
            "type": "object",
            "required": ["record_id", "date", "authority", "title", "status"],
            "properties": {
                "record_id": _TEXT,
                "date": {"type": "string", "pattern": _DATE},
                "authority": {"type": "string"},
                "title": {"type": "string"},
                # Free text, not the spec's four values: an unknown status is shown as sent
                # (like an unknown section), rather than refusing the whole report.
                "status": _TEXT,
                "detail": {"type": ["string", "null"]},
                "repair": {
                    "type": ["object", "null"],
                    "required": ["eligible"],
                    "properties": {
                        "eligible": {"type": "boolean"},
                        "guide_id": {"type": ["string", "null"]},
                        "earliest_date": {"type": ["string", "null"], "pattern": _DATE},
                    },
                },
            },
        },
    },
}


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    # Built on first use: importing jsonschema costs ~60 ms that start-up need not pay.
    import jsonschema

    return jsonschema.Draft202012Validator(REPORT_SCHEMA)


def validate_report_payload(payload: Mapping[str, Any]) -> None:
    """Check a verified payload against ``REPORT_SCHEMA``.

    Raises:
        kiosk.errors.ReportInvalid: The payload does not match. The message names the path
            and the failed rule only, never a value (values are personal data).
    """
    import jsonschema.exceptions

    error = jsonschema.exceptions.best_match(_validator().iter_errors(payload))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise errors.ReportInvalid(f"report payload fails its schema at {where}: {error.validator}")
