"""Errors of the application core, and the one mapping from any error to what a person reads."""

from __future__ import annotations

import dataclasses
import enum

from devices import errors as device_errors
from kiosk.i18n import QT_TRANSLATE_NOOP


class KioskError(Exception):
    """Base of every error the core raises on purpose."""


class ConfigError(KioskError):
    """The configuration file is missing, unreadable or has bad values.

    ``problems`` lists every problem found, each naming its key.
    """

    def __init__(self, problems: list[str], path: str = "") -> None:
        where = f" in {path}" if path else ""
        super().__init__(f"bad configuration{where}:\n  - " + "\n  - ".join(problems))
        self.problems = problems


class NotEnrolled(KioskError):
    """The terminal has no credentials in the keyring."""


class CardInvalid(KioskError):
    """The card failed one of the profile's checks; ``reason`` is the profile's reason code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"card refused: {reason}" + (f" ({detail})" if detail else ""))
        self.reason = reason


class FaceCheckUnavailable(KioskError):
    """The face check cannot go on at this kiosk now (models, the card photo): the resident
    uses another way. ``kiosk.face.errors.FaceError`` is one."""


class PlatformCode(enum.StrEnum):
    """The platform's ``error.code`` values the kiosk explains or acts on (spec §1-§7), and the
    client's own codes for answers that break the spec (``malformed_response``,
    ``unexpected_response``, ``unknown_error``). ``PlatformRejected.code`` stays text: a newer
    platform may send a code not listed here, which gets the generic message."""

    CARD_INVALID = "card_invalid"
    CARD_REPORTED_LOST = "card_reported_lost"
    ATTESTATION_NOT_ALLOWED = "attestation_not_allowed"
    FACE_REJECTED = "face_rejected"
    FACTOR_UNAVAILABLE = "factor_unavailable"
    REFERENCE_MISMATCH = "reference_mismatch"
    TICKET_EXPIRED = "ticket_expired"
    WRONG_CODE = "wrong_code"
    CODE_EXPIRED = "code_expired"
    LOCKED = "locked"
    STAFF_DENIED = "staff_denied"
    NO_PHONE_ON_FILE = "no_phone_on_file"
    RESEND_TOO_SOON = "resend_too_soon"
    SESSION_EXPIRED = "session_expired"
    SESSION_NOT_FOUND = "session_not_found"
    TOKEN_EXPIRED = "token_expired"
    CLOCK_SKEW = "clock_skew"
    UNKNOWN_TERMINAL = "unknown_terminal"
    TERMINAL_DISABLED = "terminal_disabled"
    BAD_SIGNATURE = "bad_signature"
    REPLAYED_NONCE = "replayed_nonce"
    INVALID_ENROLLMENT_CODE = "invalid_enrollment_code"
    INVALID_TOKEN = "invalid_token"
    PDF_NOT_AVAILABLE = "pdf_not_available"
    UNKNOWN_RECORD = "unknown_record"
    REPORT_NOT_FOUND = "report_not_found"
    MISSING_IDEMPOTENCY_KEY = "missing_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    MALFORMED_JSON = "malformed_json"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    BAD_REQUEST = "bad_request"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    INTERNAL_ERROR = "internal_error"
    MALFORMED_RESPONSE = "malformed_response"
    UNEXPECTED_RESPONSE = "unexpected_response"
    UNKNOWN_ERROR = "unknown_error"


class PlatformError(KioskError):
    """The central platform could not be used."""


class PlatformUnavailable(PlatformError):
    """Network failure, timeout or 5xx: the call may work later.

    ``status`` is the HTTP status of a 5xx answer (0: no answer at all); ``retry_after_s``
    the platform's ``Retry-After``, if it gave one.
    """

    def __init__(
        self, message: str, retry_after_s: float | None = None, *, status: int = 0
    ) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.status = status


class PlatformRejected(PlatformError):
    """The platform answered with an error body; ``code`` is the spec's ``error.code``."""

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        status: int = 0,
        attempts_left: int | None = None,
        reason: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.code = code
        self.status = status
        self.attempts_left = attempts_left
        self.reason = reason
        self.retry_after_s = retry_after_s


class ReportInvalid(PlatformError):
    """The report's signature or content does not verify: nothing of it may be shown."""


@dataclasses.dataclass(frozen=True)
class UserMessage:
    """What the resident reads: a title, a plain explanation, and whether retrying can help."""

    key: str
    title: str
    body: str
    can_retry: bool = False
    attempts_left: int | None = None  # tries left (a wrong code or PIN); the screen says it


_CARD_REASON_TEXT = QT_TRANSLATE_NOOP("Errors", "这张卡不能在本机使用，请联系大厅工作人员。")

_PLATFORM_CODE_TEXT: dict[PlatformCode, tuple[str, str, bool]] = {
    PlatformCode.CARD_INVALID: (
        QT_TRANSLATE_NOOP("Errors", "证件无法使用"),
        _CARD_REASON_TEXT,
        False,
    ),
    PlatformCode.CARD_REPORTED_LOST: (
        QT_TRANSLATE_NOOP("Errors", "证件已挂失"),
        QT_TRANSLATE_NOOP("Errors", "这张证件已挂失，不能用于查询。请到服务窗口办理。"),
        False,
    ),
    # The platform does not take this terminal's certified reader (not approved, another
    # security module, or a v1 platform): nothing the resident can do but go to a window.
    PlatformCode.ATTESTATION_NOT_ALLOWED: (
        QT_TRANSLATE_NOOP("Errors", "本机暂不能读取身份证"),
        QT_TRANSLATE_NOOP(
            "Errors", "本机的身份证阅读器暂未获准使用，请到服务窗口办理或联系工作人员。"
        ),
        False,
    ),
    PlatformCode.FACE_REJECTED: (
        QT_TRANSLATE_NOOP("Errors", "未能确认是您本人"),
        QT_TRANSLATE_NOOP("Errors", "这次没有核验成功，没关系。可以再试一次，也可以改用其他方式。"),
        True,
    ),
    PlatformCode.FACTOR_UNAVAILABLE: (
        QT_TRANSLATE_NOOP("Errors", "刷脸核验已结束"),
        QT_TRANSLATE_NOOP("Errors", "本次不能再刷脸核验，请改用短信验证码或请工作人员核验。"),
        False,
    ),
    PlatformCode.TICKET_EXPIRED: (
        QT_TRANSLATE_NOOP("Errors", "读卡超时"),
        QT_TRANSLATE_NOOP("Errors", "核验已过期，请重新放置证件。"),
        True,
    ),
    PlatformCode.WRONG_CODE: (
        QT_TRANSLATE_NOOP("Errors", "验证码不正确"),
        QT_TRANSLATE_NOOP("Errors", "请核对短信中的6位验证码后重新输入。"),
        True,
    ),
    PlatformCode.CODE_EXPIRED: (
        QT_TRANSLATE_NOOP("Errors", "验证码已过期"),
        QT_TRANSLATE_NOOP("Errors", "请重新获取验证码。"),
        True,
    ),
    PlatformCode.LOCKED: (
        QT_TRANSLATE_NOOP("Errors", "验证已锁定"),
        QT_TRANSLATE_NOOP("Errors", "错误次数过多，本次查询已结束。请联系工作人员。"),
        False,
    ),
    PlatformCode.STAFF_DENIED: (
        QT_TRANSLATE_NOOP("Errors", "工作人员确认失败"),
        QT_TRANSLATE_NOOP("Errors", "工号或密码不正确。"),
        True,
    ),
    PlatformCode.NO_PHONE_ON_FILE: (
        QT_TRANSLATE_NOOP("Errors", "没有预留手机号"),
        QT_TRANSLATE_NOOP("Errors", "请选择由工作人员现场核验身份。"),
        False,
    ),
    PlatformCode.RESEND_TOO_SOON: (
        QT_TRANSLATE_NOOP("Errors", "请稍候"),
        QT_TRANSLATE_NOOP("Errors", "验证码刚刚发送，请稍后再重新获取。"),
        True,
    ),
    PlatformCode.SESSION_EXPIRED: (
        QT_TRANSLATE_NOOP("Errors", "查询已超时"),
        QT_TRANSLATE_NOOP("Errors", "本次查询已超时，请重新开始。"),
        False,
    ),
    PlatformCode.SESSION_NOT_FOUND: (
        QT_TRANSLATE_NOOP("Errors", "查询已结束"),
        QT_TRANSLATE_NOOP("Errors", "本次查询已结束，请重新开始。"),
        False,
    ),
    PlatformCode.TOKEN_EXPIRED: (
        QT_TRANSLATE_NOOP("Errors", "验证已过期"),
        QT_TRANSLATE_NOOP("Errors", "请重新验证身份。"),
        True,
    ),
    PlatformCode.CLOCK_SKEW: (
        QT_TRANSLATE_NOOP("Errors", "终端时间异常"),
        QT_TRANSLATE_NOOP("Errors", "本机时间与平台不一致，请联系工作人员。"),
        False,
    ),
    PlatformCode.UNKNOWN_TERMINAL: (
        QT_TRANSLATE_NOOP("Errors", "终端未登记"),
        QT_TRANSLATE_NOOP("Errors", "本机尚未登记，请联系工作人员。"),
        False,
    ),
    PlatformCode.TERMINAL_DISABLED: (
        QT_TRANSLATE_NOOP("Errors", "终端已停用"),
        QT_TRANSLATE_NOOP("Errors", "本机暂停服务，请到服务窗口办理。"),
        False,
    ),
    # Faults of this terminal or its software, not of the resident: one plain message each,
    # so staff can tell them apart on the diagnostics page; the resident is sent to a window.
    PlatformCode.BAD_SIGNATURE: (
        QT_TRANSLATE_NOOP("Errors", "终端认证失败"),
        QT_TRANSLATE_NOOP("Errors", "本机与平台的认证未通过，请联系工作人员。"),
        False,
    ),
    PlatformCode.REPLAYED_NONCE: (
        QT_TRANSLATE_NOOP("Errors", "请求重复"),
        QT_TRANSLATE_NOOP("Errors", "本次请求未被受理，请稍后重试。"),
        True,
    ),
    PlatformCode.INVALID_ENROLLMENT_CODE: (
        QT_TRANSLATE_NOOP("Errors", "登记码无效"),
        QT_TRANSLATE_NOOP("Errors", "登记码错误或已被使用，请向管理员重新申请登记码。"),
        False,
    ),
    PlatformCode.INVALID_TOKEN: (
        QT_TRANSLATE_NOOP("Errors", "身份验证已失效"),
        QT_TRANSLATE_NOOP("Errors", "本次查询的身份验证已失效，请重新开始。"),
        False,
    ),
    PlatformCode.PDF_NOT_AVAILABLE: (
        QT_TRANSLATE_NOOP("Errors", "暂无电子版报告"),
        QT_TRANSLATE_NOOP("Errors", "平台暂不提供电子版报告，本机将自行生成。"),
        True,
    ),
    PlatformCode.UNKNOWN_RECORD: (
        QT_TRANSLATE_NOOP("Errors", "记录不存在"),
        QT_TRANSLATE_NOOP("Errors", "报告中没有这条记录，无法提出异议。请联系工作人员。"),
        False,
    ),
    PlatformCode.REPORT_NOT_FOUND: (
        QT_TRANSLATE_NOOP("Errors", "报告不存在"),
        QT_TRANSLATE_NOOP("Errors", "找不到本次查询的报告，请重新开始。"),
        False,
    ),
    PlatformCode.MISSING_IDEMPOTENCY_KEY: (
        QT_TRANSLATE_NOOP("Errors", "请求不完整"),
        QT_TRANSLATE_NOOP("Errors", "本次请求未被受理，请联系工作人员。"),
        False,
    ),
    PlatformCode.IDEMPOTENCY_KEY_REUSED: (
        QT_TRANSLATE_NOOP("Errors", "请求冲突"),
        QT_TRANSLATE_NOOP("Errors", "本次请求与之前的请求冲突，请联系工作人员。"),
        False,
    ),
    PlatformCode.PAYLOAD_TOO_LARGE: (
        QT_TRANSLATE_NOOP("Errors", "内容过大"),
        QT_TRANSLATE_NOOP("Errors", "提交的内容过大，请缩短后重试。"),
        True,
    ),
    PlatformCode.MALFORMED_JSON: (
        QT_TRANSLATE_NOOP("Errors", "请求格式错误"),
        QT_TRANSLATE_NOOP("Errors", "本次请求未被受理，请联系工作人员。"),
        False,
    ),
    PlatformCode.NOT_FOUND: (
        QT_TRANSLATE_NOOP("Errors", "内容不存在"),
        QT_TRANSLATE_NOOP("Errors", "要查找的内容不存在，请联系工作人员。"),
        False,
    ),
    PlatformCode.METHOD_NOT_ALLOWED: (
        QT_TRANSLATE_NOOP("Errors", "请求方式错误"),
        QT_TRANSLATE_NOOP("Errors", "本次请求未被受理，请联系工作人员。"),
        False,
    ),
}


# The face check is over for this session (the attempts the platform allows are used up):
# kind words, and the other ways, which are always there.
FACE_CLOSED = UserMessage(
    "face_closed",
    QT_TRANSLATE_NOOP("Errors", "刷脸没有通过，没关系"),
    QT_TRANSLATE_NOOP(
        "Errors",
        "证件照片年代较久、戴眼镜或光线不好时常会这样。请改用短信验证码，或请工作人员现场核验。",
    ),
)

# The face check cannot go on here now (camera, the card photo, the models).
FACE_UNAVAILABLE = UserMessage(
    "face_unavailable",
    QT_TRANSLATE_NOOP("Errors", "暂时不能刷脸核验"),
    QT_TRANSLATE_NOOP("Errors", "请改用短信验证码，或请工作人员现场核验。"),
)

# Device failures in the order they are matched: the first class that fits wins (a
# PrinterOffline is both a PrinterError and a DeviceUnavailable: it is a printer problem).
_DEVICE_MESSAGES: tuple[tuple[type[device_errors.DeviceError], UserMessage], ...] = (
    (
        device_errors.CardRemoved,
        UserMessage(
            "card_removed",
            QT_TRANSLATE_NOOP("Errors", "证件已取出"),
            QT_TRANSLATE_NOOP("Errors", "读卡时证件被取出，请重新放置证件。"),
            True,
        ),
    ),
    (
        device_errors.NotAnIdCard,
        UserMessage(
            "not_id_card",
            QT_TRANSLATE_NOOP("Errors", "不是居民身份证"),
            QT_TRANSLATE_NOOP("Errors", "请放置本人的居民身份证。"),
            True,
        ),
    ),
    (
        device_errors.SecurityModuleRejected,
        UserMessage(
            "card_invalid.security_module",
            QT_TRANSLATE_NOOP("Errors", "证件无法使用"),
            _CARD_REASON_TEXT,
        ),
    ),
    (device_errors.CameraUnavailable, FACE_UNAVAILABLE),
    (device_errors.PhotoNotDecodable, FACE_UNAVAILABLE),
    (
        device_errors.CardAlreadyRead,
        UserMessage(
            "card_already_read",
            QT_TRANSLATE_NOOP("Errors", "请重新放置证件"),
            QT_TRANSLATE_NOOP("Errors", "请先将身份证从读卡区拿开，再重新放上。"),
            True,
        ),
    ),
    (
        device_errors.PaperOut,
        UserMessage(
            "paper_out",
            QT_TRANSLATE_NOOP("Errors", "打印机缺纸"),
            QT_TRANSLATE_NOOP("Errors", "打印机缺纸，请联系工作人员加纸后重试。"),
            True,
        ),
    ),
    (
        device_errors.CoverOpen,
        UserMessage(
            "cover_open",
            QT_TRANSLATE_NOOP("Errors", "打印机盖未关"),
            QT_TRANSLATE_NOOP("Errors", "请联系工作人员关好打印机盖后重试。"),
            True,
        ),
    ),
    (
        device_errors.PrinterError,
        UserMessage(
            "printer_error",
            QT_TRANSLATE_NOOP("Errors", "打印失败"),
            QT_TRANSLATE_NOOP("Errors", "打印机出现故障，可以重试或联系工作人员。"),
            True,
        ),
    ),
    (
        device_errors.DeviceUnavailable,
        UserMessage(
            "reader_unavailable",
            QT_TRANSLATE_NOOP("Errors", "读卡器不可用"),
            QT_TRANSLATE_NOOP("Errors", "读卡器暂时不可用，请联系工作人员。"),
        ),
    ),
    (
        device_errors.DeviceError,
        UserMessage(
            "card_error",
            QT_TRANSLATE_NOOP("Errors", "读卡失败"),
            QT_TRANSLATE_NOOP("Errors", "无法读取证件，请重新放置证件后再试。"),
            True,
        ),
    ),
)


# A card put on the reader while the platform cannot be reached (nothing is read from it).
# It promises no time: the kiosk cannot know how long an outage lasts.
PLATFORM_OFFLINE = UserMessage(
    "platform_offline",
    QT_TRANSLATE_NOOP("Errors", "信用平台暂时无法连接"),
    QT_TRANSLATE_NOOP(
        "Errors",
        "现在不能查询个人信用报告，您的证件没有被读取。平台恢复后本机会自动恢复服务，"
        "您可以稍后再来，或到大厅服务台请工作人员帮您办理。",
    ),
)


def to_user_message(exc: BaseException) -> UserMessage:
    """Translate any error into plain words. The UI never shows ``str(exc)``."""
    if isinstance(exc, CardInvalid):
        return UserMessage(
            f"card_invalid.{exc.reason}",
            QT_TRANSLATE_NOOP("Errors", "证件无法使用"),
            _CARD_REASON_TEXT,
        )
    if isinstance(exc, PlatformRejected) and exc.code in _PLATFORM_CODE_TEXT:
        title, body, retry = _PLATFORM_CODE_TEXT[PlatformCode(exc.code)]
        return UserMessage(exc.code, title, body, retry, exc.attempts_left)
    if isinstance(exc, PlatformUnavailable | PlatformRejected):
        return UserMessage(
            "platform_unavailable",
            QT_TRANSLATE_NOOP("Errors", "服务暂时不可用"),
            QT_TRANSLATE_NOOP("Errors", "暂时无法连接信用平台，请稍后再试，或到服务窗口办理。"),
            True,
        )
    if isinstance(exc, ReportInvalid):
        return UserMessage(
            "report_invalid",
            QT_TRANSLATE_NOOP("Errors", "报告无法核验"),
            QT_TRANSLATE_NOOP("Errors", "收到的报告未通过签名核验，不能显示。请联系工作人员。"),
        )
    if isinstance(exc, FaceCheckUnavailable):
        return FACE_UNAVAILABLE
    if isinstance(exc, NotEnrolled):
        return UserMessage(
            "not_enrolled",
            QT_TRANSLATE_NOOP("Errors", "终端未登记"),
            QT_TRANSLATE_NOOP("Errors", "本机尚未登记，请联系工作人员。"),
        )
    for kind, message in _DEVICE_MESSAGES:
        if isinstance(exc, kind):
            return message
    return UserMessage(
        "internal_error",
        QT_TRANSLATE_NOOP("Errors", "系统错误"),
        QT_TRANSLATE_NOOP("Errors", "出现了意外问题，请联系工作人员。"),
    )
