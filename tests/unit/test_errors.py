"""Every failure reaches the resident as plain words, never as exception text."""

from __future__ import annotations

import pytest

from devices import errors as device_errors
from kiosk import errors

SECRET = "3211XXXX internal detail"


@pytest.mark.parametrize(
    ("exc", "key"),
    [
        (device_errors.CardRemoved(SECRET), "card_removed"),
        (device_errors.NotAnIdCard(SECRET), "not_id_card"),
        (device_errors.SecurityModuleRejected(0x31), "card_invalid.security_module"),
        (device_errors.CardAlreadyRead(SECRET), "card_already_read"),
        (device_errors.ReaderNotResponding(SECRET), "reader_unavailable"),
        (device_errors.ReaderServiceDown(SECRET), "reader_unavailable"),
        (device_errors.NoReader(SECRET), "reader_unavailable"),
        (device_errors.PrinterOffline(SECRET), "printer_error"),
        (device_errors.PaperOut(SECRET), "paper_out"),
        (device_errors.CoverOpen(SECRET), "cover_open"),
        (device_errors.CardCommunicationError(SECRET), "card_error"),
        (errors.CardInvalid("holder_hash", SECRET), "card_invalid.holder_hash"),
        (errors.PlatformUnavailable(SECRET), "platform_unavailable"),
        (errors.PlatformRejected("some_future_code", SECRET), "platform_unavailable"),
        (errors.ReportInvalid(SECRET), "report_invalid"),
        (errors.NotEnrolled(SECRET), "not_enrolled"),
        (RuntimeError(SECRET), "internal_error"),
    ],
)
def test_each_failure_has_its_own_plain_message(exc: BaseException, key: str) -> None:
    message = errors.to_user_message(exc)
    assert message.key == key
    assert SECRET not in message.title + message.body
    assert message.title
    assert message.body
