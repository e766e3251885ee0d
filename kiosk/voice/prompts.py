"""What the voice says on each screen (large-text mode): the instruction, and the summary.

``prompt_for(state)`` picks the prompt of a state; the UI translates its parts and hands the
text to the speaker when the prompt's ``key`` changes, so a prompt is said once per screen,
not on every redraw. Prompts never carry a name, an ID number or a phone number: they are
heard by the whole hall. The one figure said aloud is the number of negative records in the
summary, which the resident asked for by choosing voice prompts (and can mute).
"""

from __future__ import annotations

import dataclasses

from kiosk.flow import session
from kiosk.i18n import QT_TRANSLATE_NOOP

Phase = session.Phase
View = session.ReportView
Stage = session.FaceStage

CONTEXT = "Voice"


@dataclasses.dataclass(frozen=True)
class Prompt:
    """Something to say: texts in ``(context, source text)`` parts, ``%1`` filled by ``value``."""

    key: str
    parts: tuple[tuple[str, str], ...]
    value: str = ""


def _say(key: str, *texts: str, value: str = "") -> Prompt:
    return Prompt(key, tuple((CONTEXT, text) for text in texts), value)


_PHASE_PROMPTS: dict[Phase, Prompt] = {
    Phase.CONSENT: _say(
        "consent",
        QT_TRANSLATE_NOOP(
            "Voice", "查询前请阅读说明。同意，请按屏幕右下角的“同意并继续”；不同意，请按“不同意”。"
        ),
    ),
    Phase.READING_CARD: _say(
        "reading", QT_TRANSLATE_NOOP("Voice", "正在读取身份证，请不要移动证件。")
    ),
    Phase.VERIFYING: _say("verifying", QT_TRANSLATE_NOOP("Voice", "正在核验身份，请稍候。")),
    Phase.PRINTING: _say(
        "printing", QT_TRANSLATE_NOOP("Voice", "正在打印，凭条将从下方出纸口送出，请稍候。")
    ),
}


def _message(state: session.SessionState) -> Prompt | None:
    message = state.step.message
    if message is None:
        return None
    parts = (("Errors", message.title), ("Errors", message.body))
    return Prompt(f"message:{message.key}:{state.timer}", parts)


# What the camera asks, by ``Step.face_prompt`` (``kiosk.face.liveness.Prompt`` values).
_FACE_PROMPTS = {
    "face_straight": QT_TRANSLATE_NOOP("Voice", "请正对摄像头，把脸放进椭圆框里。"),
    "turn_left": QT_TRANSLATE_NOOP("Voice", "请慢慢向左转头，转到一侧停一下。"),
    "turn_right": QT_TRANSLATE_NOOP("Voice", "请慢慢向右转头，转到一侧停一下。"),
}

# After an attempt that did not pass, the one change most likely to help, by
# ``Step.face_failure`` (a liveness ``FailReason`` value, or "score").
_FACE_ADVICE = {
    "no_face": QT_TRANSLATE_NOOP("Voice", "请站在屏幕正前方，不要挡住脸。"),
    "several_faces": QT_TRANSLATE_NOOP("Voice", "镜头里只能有您一个人，请身边的人稍微让开。"),
    "different_face": QT_TRANSLATE_NOOP("Voice", "请您本人从头做到尾，中途不要换人。"),
    "frozen": QT_TRANSLATE_NOOP("Voice", "请您本人正对摄像头，按提示慢慢转头。"),
    "too_slow": QT_TRANSLATE_NOOP("Voice", "看到提示后再转头，转到一侧停一下。"),
    "wrong_direction": QT_TRANSLATE_NOOP("Voice", "向左是向您自己的左手边转。"),
    "score": QT_TRANSLATE_NOOP("Voice", "请摘下眼镜和帽子，站到光线充足的地方。"),
}


def _face(state: session.SessionState) -> Prompt:
    """The face check: its notice, then each instruction of the camera as it changes."""
    step = state.step
    if step.face_stage is Stage.CONSENT:
        return _say(
            "face-consent",
            QT_TRANSLATE_NOOP(
                "Voice",
                "刷脸核验会把您现在的脸和身份证里的照片比一比，照片不保存。"
                "同意，请按“同意，开始刷脸”；不想刷脸，请按“不同意，用其他方式”。",
            ),
        )
    if step.face_stage is Stage.PREPARING:
        return _say(
            "face-preparing",
            QT_TRANSLATE_NOOP("Voice", "正在准备摄像头，请稍候，不要取出身份证。"),
        )
    if step.face_stage is Stage.LOOKING:
        prompt = step.face_prompt or "face_straight"
        return _say(
            f"face-looking:{prompt}", _FACE_PROMPTS.get(prompt, _FACE_PROMPTS["face_straight"])
        )
    if step.face_stage is Stage.CHECKING:
        return _say("face-checking", QT_TRANSLATE_NOOP("Voice", "正在核验，请稍候。"))
    return _face_retry(state)


def _face_retry(state: session.SessionState) -> Prompt:
    """Not passed: what went wrong, the one change most likely to help, and the choices."""
    step = state.step
    parts: list[tuple[str, str]] = []
    if step.message is not None:
        parts += [("Errors", step.message.title), ("Errors", step.message.body)]
    advice = _FACE_ADVICE.get(step.face_failure or "")
    if advice is not None:
        parts.append((CONTEXT, advice))
    parts.append(
        (
            CONTEXT,
            QT_TRANSLATE_NOOP(
                "Voice", "还可以再试%1次。要再试，请按“再试一次”；也可以按“改用其他方式”。"
            ),
        )
    )
    left = state.resident.face_attempts_left
    return Prompt(f"face-retry:{left}:{step.face_failure}", tuple(parts), str(left))


def _second_factor(state: session.SessionState) -> Prompt:
    if state.step.factor is session.Factor.FACE:
        return _face(state)
    if state.step.factor is session.Factor.STAFF:
        return _say(
            "staff",
            QT_TRANSLATE_NOOP(
                "Voice", "已通知工作人员，请稍候。工作人员核对您本人和证件后，会帮您输入。"
            ),
        )
    if state.step.factor is session.Factor.SMS:
        if state.step.code_waits:
            return _say(
                f"sms-wait:{state.resident.resend_waits}",
                QT_TRANSLATE_NOOP("Voice", "验证码稍后会自动发到您的手机，请稍候。"),
            )
        if not state.step.otp_sent:
            return _say("sms-sending", QT_TRANSLATE_NOOP("Voice", "正在发送短信验证码，请稍候。"))
        return _say(
            f"sms-sent:{state.resident.otp_sends}",
            QT_TRANSLATE_NOOP(
                "Voice",
                "验证码已经发到您的手机。请在屏幕右边的数字键上输入6位验证码，再按“确认”。"
                "没有收到短信，可以请工作人员核验。",
            ),
        )
    identity = state.resident.identity
    has_phone = identity is not None and "sms_otp" in identity.second_factors
    if state.resident.face_offered and not has_phone:
        return _say(
            "choose-face-staff",
            QT_TRANSLATE_NOOP(
                "Voice", "请选择核验方式：刷脸核验，照片不保存；或者请工作人员现场核验。"
            ),
        )
    if state.resident.face_offered:
        return _say(
            "choose-face",
            QT_TRANSLATE_NOOP(
                "Voice",
                "请选择核验方式：刷脸核验，照片不保存；或者发短信验证码到您的手机；"
                "或者请工作人员现场核验。",
            ),
        )
    return _say(
        "choose",
        QT_TRANSLATE_NOOP(
            "Voice", "请选择核验方式：发短信验证码到您的手机，或者请工作人员现场核验。"
        ),
    )


def _report(state: session.SessionState) -> Prompt | None:
    shown = state.resident.report
    if shown is None:
        return None
    if state.step.view is View.GUIDE:
        return _say(
            f"guide:{state.step.view_record}",
            QT_TRANSLATE_NOOP(
                "Voice", "这是这条记录的修复办法。按“打印修复指引”，可以带回家照着办。"
            ),
        )
    if state.step.view is View.DISPUTE:
        return _say(
            f"dispute:{state.step.view_record}",
            QT_TRANSLATE_NOOP("Voice", "请选择提出异议的原因，然后按“提交异议”。"),
        )
    if state.step.view is View.SHARE:
        return _say(
            "share",
            QT_TRANSLATE_NOOP("Voice", "请用手机扫描屏幕上的二维码，下载电子版报告。"),
        )
    if shown.summary.has_negative:
        return _say(
            f"summary:{shown.report_id}",
            QT_TRANSLATE_NOOP(
                "Voice",
                "您的报告已经生成。您有%1条失信记录，每条记录下面有“怎样修复”按钮。"
                "要打印报告，请按右下角的“打印报告”。",
            ),
            value=str(shown.summary.negative_count),
        )
    return _say(
        f"summary:{shown.report_id}",
        QT_TRANSLATE_NOOP(
            "Voice",
            "您的报告已经生成。您没有失信记录，信用状况良好。要打印报告，请按右下角的“打印报告”。",
        ),
    )


def prompt_for(state: session.SessionState) -> Prompt | None:
    """The prompt of ``state``, or None where nothing needs saying (idle, staff mode)."""
    if state.step.still_there_s:
        return _say(
            f"still-there:{state.timer}",
            QT_TRANSLATE_NOOP("Voice", "您还在吗？要继续查询，请触摸屏幕。"),
        )
    face_retry = state.step.factor is session.Factor.FACE and state.step.face_stage is Stage.RETRY
    if state.phase is Phase.SECOND_FACTOR and face_retry:
        return _face_retry(state)  # the message, and what to do about it
    if state.step.message is not None and state.phase in (Phase.ERROR, Phase.SECOND_FACTOR):
        return _message(state)
    if state.step.message is not None and state.phase is Phase.REPORT:
        return _message(state)
    if state.phase in _PHASE_PROMPTS:
        return _PHASE_PROMPTS[state.phase]
    if state.phase is Phase.SECOND_FACTOR:
        return _second_factor(state)
    if state.phase is Phase.REPORT:
        return _report(state)
    if state.phase is Phase.DONE:
        if state.resident.printed:
            return _say(
                "done-printed",
                QT_TRANSLATE_NOOP("Voice", "打印完成。请取走凭条，再取走您的身份证。"),
            )
        return _say("done", QT_TRANSLATE_NOOP("Voice", "查询结束。请取走您的身份证。"))
    if state.phase is Phase.IDLE and state.resident.elder_mode:
        return _say(
            "idle-elder",
            QT_TRANSLATE_NOOP(
                "Voice", "已打开大字和语音模式。请把您的身份证放在屏幕下方的读卡区。"
            ),
        )
    return None
