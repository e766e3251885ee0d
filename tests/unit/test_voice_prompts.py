"""Voice prompts in large-text mode: what is said on each screen, once, in the session's
language, silenced when muted or when the session ends; and real audio from espeak-ng."""

from __future__ import annotations

import dataclasses
import wave
from pathlib import Path

import pytest

from kiosk import config as kiosk_config
from kiosk.flow import session
from kiosk.voice import prompts, speech
from tests.support.journey import IDENTITY, JOURNEY, PENALTY_REPORT, RULES, at_phase
from ui import voice

S = session


class RecordingSpeaker:
    """Remembers what it was asked to say."""

    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []
        self.stops = 0

    def say(self, text: str, language: str) -> None:
        self.said.append((text, language))

    def stop(self) -> None:
        self.stops += 1

    def close(self) -> None:
        pass


def _walk(events: list[S.Event], listener: voice.VoicePrompts, *, elder: bool = True) -> None:
    state = S.SessionState(resident=S.Resident(elder_mode=elder))
    listener(state)
    for event in events:
        state, _ = S.transition(state, event, RULES)
        listener(state)


def test_every_screen_of_a_large_text_session_is_said_once() -> None:
    speaker = RecordingSpeaker()
    listener = voice.VoicePrompts(speaker)
    _walk([S.ElderModeToggled(), *JOURNEY], listener, elder=False)
    texts = [text for text, _ in speaker.said]
    assert texts[0].startswith("已打开大字和语音模式")
    assert any("同意并继续" in t for t in texts)
    assert any("正在读取身份证" in t for t in texts)
    assert any("验证码已经发到您的手机" in t for t in texts)
    assert any("您没有失信记录" in t for t in texts)
    assert any("请取走凭条" in t for t in texts)
    assert len(texts) == len(set(texts)), "a prompt was repeated on a redraw"
    assert all(language == "zh" for _, language in speaker.said)


def test_the_summary_says_the_number_of_negative_records_and_nothing_personal() -> None:
    state = dataclasses.replace(
        at_phase(S.Phase.REPORT),
        resident=dataclasses.replace(
            at_phase(S.Phase.REPORT).resident,
            report=PENALTY_REPORT,
            elder_mode=True,
            identity=IDENTITY,
        ),
    )
    prompt = prompts.prompt_for(state)
    assert prompt is not None
    text = voice.prompt_text(prompt)
    assert "您有1条失信记录" in text
    for personal in ("张", "伟", "3211", "0014", "138", "1234"):
        assert personal not in text


def test_nothing_is_said_in_normal_mode() -> None:
    speaker = RecordingSpeaker()
    _walk(JOURNEY, voice.VoicePrompts(speaker), elder=False)
    assert speaker.said == []


def test_muting_silences_at_once_and_unmuting_says_the_screen_again() -> None:
    speaker = RecordingSpeaker()
    listener = voice.VoicePrompts(speaker)
    state = S.SessionState(resident=S.Resident(elder_mode=True))
    for event in (S.CardInserted(), S.MuteToggled()):
        state, _ = S.transition(state, event, RULES)
        listener(state)
    assert [t for t, _ in speaker.said if "同意并继续" in t]
    assert speaker.stops == 1
    said = len(speaker.said)
    state, _ = S.transition(state, S.ConsentGiven(), RULES)
    listener(state)
    assert len(speaker.said) == said  # muted: the reading screen says nothing
    state, _ = S.transition(state, S.MuteToggled(), RULES)
    listener(state)
    assert "正在读取身份证" in speaker.said[-1][0]


def test_the_end_of_a_session_silences_the_voice() -> None:
    speaker = RecordingSpeaker()
    listener = voice.VoicePrompts(speaker)
    _walk([S.CardInserted(), S.CardRemoved()], listener, elder=True)
    # Idle after the session: large-text mode was for that session only.
    assert speaker.stops == 1


def _elder_at_second_factor() -> S.SessionState:
    at_factor = at_phase(S.Phase.SECOND_FACTOR)
    return dataclasses.replace(
        at_factor, resident=dataclasses.replace(at_factor.resident, elder_mode=True)
    )


def test_a_wrong_code_is_said_as_the_message() -> None:
    from kiosk import errors

    speaker = RecordingSpeaker()
    listener = voice.VoicePrompts(speaker)
    state = _elder_at_second_factor()
    for event in (S.SmsChosen(), S.OtpSent(60), S.OtpEntered("000000")):
        state, _ = S.transition(state, event, RULES)
        listener(state)
    state, _ = S.transition(
        state, S.Failed(errors.PlatformRejected("wrong_code", attempts_left=4)), RULES
    )
    listener(state)
    assert speaker.said[-1][0].startswith("验证码不正确")


def test_a_code_the_platform_makes_wait_for_is_said_to_be_coming_then_sent() -> None:
    from kiosk import errors

    speaker = RecordingSpeaker()
    listener = voice.VoicePrompts(speaker)
    state = _elder_at_second_factor()
    too_soon = errors.PlatformRejected("resend_too_soon", status=429, retry_after_s=40)
    for event in (S.SmsChosen(), S.Failed(too_soon), S.ResendReady(IDENTITY.session_id, 1)):
        state, _ = S.transition(state, event, RULES)
        listener(state)
    texts = [text for text, _ in speaker.said]
    assert texts == ["正在发送短信验证码，请稍候。", "验证码稍后会自动发到您的手机，请稍候。",
                     "正在发送短信验证码，请稍候。"]  # fmt: skip


def test_the_language_of_the_session_is_the_voice_language() -> None:
    speaker = RecordingSpeaker()
    listener = voice.VoicePrompts(speaker)
    _walk([S.CardInserted(), S.LanguageChanged("en")], listener, elder=True)
    assert [language for _, language in speaker.said] == ["zh", "zh", "en"]


@pytest.mark.timeout(60)
def test_a_prompt_becomes_real_audio_through_espeak(tmp_path: Path) -> None:
    """The engine the kiosk ships with turns a screen's prompt into sound (WAV in a sink)."""
    settings = kiosk_config.VoiceConfig()
    speaker = speech.build_speaker(settings, sink_dir=tmp_path)
    assert isinstance(speaker, speech.EspeakSpeaker), "espeak-ng with Mandarin is installed"
    listener = voice.VoicePrompts(speaker)
    try:
        _walk([S.CardInserted()], listener, elder=True)
        assert speaker.wait_until_idle(30)
    finally:
        speaker.close()
    files = sorted(tmp_path.glob("prompt-*.wav"))
    assert files, "no prompt was written"
    with wave.open(str(files[-1])) as wav:
        seconds = wav.getnframes() / wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    assert seconds > 2.0  # the consent prompt is a couple of sentences
    samples = memoryview(frames).cast("h")
    loud = sum(1 for sample in samples if abs(sample) > 1000)
    assert loud > len(samples) // 20, "the audio is (nearly) silent"


def test_a_message_is_said_as_sentences_in_english_too(qapp: object) -> None:
    from kiosk import errors
    from ui import i18n

    message = errors.to_user_message(errors.PlatformRejected("wrong_code", attempts_left=2))
    state = dataclasses.replace(
        at_phase(S.Phase.SECOND_FACTOR),
        resident=dataclasses.replace(at_phase(S.Phase.SECOND_FACTOR).resident, language="en"),
        step=dataclasses.replace(at_phase(S.Phase.SECOND_FACTOR).step, message=message),
    )
    prompt = prompts.prompt_for(state)
    assert prompt is not None
    languages = i18n.Languages()
    try:
        languages.switch("en")
        text = voice.prompt_text(prompt, "en")
    finally:
        languages.switch("zh")
    title = text.split(". ")[0]
    assert title and not any("\u4e00" <= ch <= "\u9fff" for ch in text)
    assert ". " in text  # the title ends as a sentence before the body starts
