"""Voice prompts: real Mandarin and English audio from espeak-ng, newest prompt wins, never a
blocked or crashed caller, and a kiosk without a speech engine stays silent but works.

The tests that make audio need espeak-ng with its cmn-latn-pinyin voice (tools/bootstrap.sh
installs it); without it they fail rather than skip. Timing is never measured by the clock:
interruption is checked on the engine process itself (killed or not).
"""

from __future__ import annotations

import array
import io
import logging
import math
import re
import signal
import subprocess
import sys
import threading
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk import config, errors
from kiosk.voice import speech

# A normal prompt's RMS is 2000..4000 (16-bit samples); silence or noise floor is far below.
AUDIBLE_RMS = 500
LONG_PROMPT = (
    "请将身份证放在读卡区，然后按确认。" * 100
)  # about 0.9 s to synthesize, 9 min of audio


@pytest.fixture(scope="module")
def espeak() -> str:
    path = speech.find_espeak()
    if path is None or not speech.has_mandarin_voice(path):
        pytest.fail(
            "these tests need espeak-ng with its cmn-latn-pinyin voice: tools/bootstrap.sh install"
        )
    return path


@pytest.fixture
def make_speaker() -> Iterator[Callable[..., speech.EspeakSpeaker]]:
    speakers: list[speech.EspeakSpeaker] = []

    def make(executable: str, **options: Any) -> speech.EspeakSpeaker:
        speakers.append(speech.EspeakSpeaker(executable, **options))
        return speakers[-1]

    yield make
    for speaker in speakers:
        speaker.close()


class EngineSpy:
    """Records every engine process a speaker starts, and on which thread."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._started = threading.Semaphore(0)

    def record(self, thread: str, process: subprocess.Popen[bytes]) -> None:
        self.runs.append((thread, process))
        self._started.release()

    def wait_started(self) -> subprocess.Popen[bytes]:
        """The next process started (waits for it)."""
        assert self._started.acquire(timeout=10), "the speaker never started its engine"
        return self.runs[-1][1]


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> EngineSpy:
    recorder = EngineSpy()
    real_popen = subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        process = real_popen(*args, **kwargs)
        recorder.record(threading.current_thread().name, process)
        return process

    monkeypatch.setattr(subprocess, "Popen", popen)
    return recorder


def fake_engine(folder: Path, script: str, name: str = "espeak-ng") -> Path:
    """An executable shell script standing in for espeak-ng."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script + "\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def audio_of(wav: bytes) -> tuple[float, float]:
    """(seconds, RMS) of a mono 16-bit WAV, checking its header matches its data."""
    with wave.open(io.BytesIO(wav)) as reader:
        assert (reader.getnchannels(), reader.getsampwidth()) == (1, 2)
        frames = reader.readframes(reader.getnframes())
        assert len(frames) == reader.getnframes() * 2  # the header tells the real length
        seconds = reader.getnframes() / reader.getframerate()
    samples = array.array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0
    return seconds, rms


def sink_files(sink: Path) -> list[str]:
    return sorted(p.name for p in sink.iterdir()) if sink.exists() else []


# ---------------------------------------------------------------- audio


def test_a_chinese_prompt_is_audible_mandarin(
    espeak: str, make_speaker: Callable[..., speech.EspeakSpeaker]
) -> None:
    wav = make_speaker(espeak).synthesize("请将身份证放在读卡区", "zh")
    seconds, rms = audio_of(wav)
    assert seconds > 1.0
    assert rms > AUDIBLE_RMS


def test_an_english_prompt_is_audible(
    espeak: str, make_speaker: Callable[..., speech.EspeakSpeaker]
) -> None:
    wav = make_speaker(espeak).synthesize("Please place your ID card on the reader.", "en")
    seconds, rms = audio_of(wav)
    assert seconds > 1.0
    assert rms > AUDIBLE_RMS


def test_rate_and_volume_reach_the_engine(
    espeak: str, make_speaker: Callable[..., speech.EspeakSpeaker]
) -> None:
    text = "您的信用报告已打印，请取走凭条。"
    slow_loud = audio_of(make_speaker(espeak, rate_wpm=80, volume=200).synthesize(text, "zh"))
    fast_soft = audio_of(make_speaker(espeak, rate_wpm=250, volume=20).synthesize(text, "zh"))
    assert slow_loud[0] > 1.5 * fast_soft[0]
    assert slow_loud[1] > 3 * fast_soft[1]


def test_latin_words_in_a_chinese_prompt_go_to_the_english_voice(
    espeak: str, make_speaker: Callable[..., speech.EspeakSpeaker]
) -> None:
    payload = speech.EspeakSpeaker._payload("请输入PIN码 <&>", "zh").decode()
    assert payload == (
        '<speak><voice name="cmn-latn-pinyin">qing3 shu1 ru4</voice> '
        '<voice name="en-us">PIN</voice> <voice name="cmn-latn-pinyin">ma3</voice></speak>'
    )
    assert audio_of(make_speaker(espeak).synthesize("请输入PIN码", "zh"))[1] > AUDIBLE_RMS


@pytest.mark.parametrize(
    ("text", "pinyin"),
    [
        ("您好", "nin2 hao3"),
        ("请将身份证放在读卡区。", "qing3 jiang1 shen1 fen4 zheng4 fang4 zai4 du2 ka3 qu1."),
        ("好的", "hao3 de5"),  # the neutral tone is 5; espeak-ng reads it as neutral
        ("女士，绿色", "nv3 shi4, lv4 se4"),  # ü as v, which the voice reads as ü
        ("一个", "yi2 ge4"),  # tone sandhi of 一
        ("共3页", "gong4 san1 ye4"),
        ("您有2条记录", "nin2 you3 liang3 tiao2 ji4 lu4"),
        ("第2页", "di4 er4 ye4"),
        ("罚款12,500元", "fa2 kuan3 yi1 wan4 er4 qian1 wu3 bai3 yuan2"),
        ("1010", "yi1 qian1 ling2 yi1 shi2"),
        ("15", "shi2 wu3"),
        ("3.5%", "bai3 fen1 zhi1 san1 dian3 wu3"),
        ("2024年", "er4 ling2 er4 si4 nian2"),
        ("请拨打12345热线", "qing3 bo1 da3 yao1 er4 san1 si4 wu3 re4 xian4"),
        ("3201**********1234", "san1 er4 ling2 yao1 yao1 er4 san1 si4"),
        ("请扫描二维码！", "qing3 sao3 miao2 er4 wei2 ma3!"),
        ("您确定吗？是的", "nin2 que4 ding4 ma5? shi4 de5"),
        ("请输入PIN码", "qing3 shu1 ru4 PIN ma3"),
        ("请按“确认”。", "qing3 an4, que4 ren4."),  # quotes pause, the 。 still ends it
        ("※", ""),
    ],
)
def test_chinese_becomes_tone_numbered_pinyin(text: str, pinyin: str) -> None:
    assert speech.chinese_to_pinyin(text) == pinyin


# ---------------------------------------------------------------- threading and interruption


def test_say_returns_at_once_and_the_engine_runs_on_the_speech_thread(
    tmp_path: Path, make_speaker: Callable[..., speech.EspeakSpeaker], spy: EngineSpy
) -> None:
    engine = fake_engine(tmp_path, "exec sleep 60")  # a prompt that never ends by itself
    speaker = make_speaker(str(engine))
    speaker.say("请稍候", "zh")
    process = spy.wait_started()
    assert process.poll() is None  # say() came back while the engine was still speaking
    assert [thread for thread, _ in spy.runs] == ["kiosk-speech"]
    speaker.stop()


def test_stop_kills_the_prompt_playing(
    tmp_path: Path, make_speaker: Callable[..., speech.EspeakSpeaker], spy: EngineSpy
) -> None:
    speaker = make_speaker(str(fake_engine(tmp_path, "exec sleep 60")))
    speaker.say("请稍候", "zh")
    process = spy.wait_started()
    speaker.stop()
    assert speaker.wait_until_idle(10)
    assert process.returncode == -signal.SIGKILL


def test_a_newer_prompt_cuts_the_one_being_made(
    espeak: str, tmp_path: Path, make_speaker: Callable[..., speech.EspeakSpeaker], spy: EngineSpy
) -> None:
    sink = tmp_path / "sink"
    speaker = make_speaker(espeak, sink_dir=sink)
    speaker.say(LONG_PROMPT, "zh")
    long_run = spy.wait_started()
    speaker.say("您好", "zh")
    assert speaker.wait_until_idle(30)
    assert long_run.returncode == -signal.SIGKILL
    assert sink_files(sink) == ["prompt-0001-zh.wav"]
    seconds, rms = audio_of((sink / "prompt-0001-zh.wav").read_bytes())
    assert seconds < 5  # the short prompt, not nine minutes of the long one
    assert rms > AUDIBLE_RMS


def test_the_sink_numbers_whole_prompts_and_never_names_the_text(
    espeak: str, tmp_path: Path, make_speaker: Callable[..., speech.EspeakSpeaker]
) -> None:
    sink = tmp_path / "sink"
    speaker = make_speaker(espeak, sink_dir=sink)
    for text, language in [("您好", "zh"), ("Hello", "en"), ("※", "zh"), ("再见", "zh")]:
        speaker.say(text, language)
        assert speaker.wait_until_idle(10)
    assert sink_files(sink) == ["prompt-0001-zh.wav", "prompt-0002-en.wav", "prompt-0003-zh.wav"]
    speaker.close()
    # A second run carries on after the first one's files.
    later = make_speaker(espeak, sink_dir=sink)
    later.say("谢谢", "zh")
    assert later.wait_until_idle(10)
    assert sink_files(sink)[-1] == "prompt-0004-zh.wav"


def test_close_ends_the_worker_and_later_calls_do_nothing(
    tmp_path: Path, make_speaker: Callable[..., speech.EspeakSpeaker], spy: EngineSpy
) -> None:
    before = set(threading.enumerate())
    speaker = make_speaker(str(fake_engine(tmp_path, "exec sleep 60")))
    (worker,) = set(threading.enumerate()) - before
    assert (worker.name, worker.daemon) == ("kiosk-speech", True)
    speaker.say("请稍候", "zh")
    process = spy.wait_started()
    speaker.close()
    assert process.returncode == -signal.SIGKILL
    assert not worker.is_alive()
    speaker.say("您好", "zh")
    speaker.stop()
    speaker.close()
    assert len(spy.runs) == 1


# ---------------------------------------------------------------- failures stay inside


@pytest.mark.expect_log("kiosk.voice.speech")
def test_a_missing_engine_is_logged_once_and_never_raises(
    tmp_path: Path,
    make_speaker: Callable[..., speech.EspeakSpeaker],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = tmp_path / "sink"
    speaker = make_speaker(str(tmp_path / "no-such-espeak-ng"), sink_dir=sink)
    with caplog.at_level(logging.WARNING, logger="kiosk.voice.speech"):
        for text in ("您好", "请将身份证放在读卡区"):
            speaker.say(text, "zh")
            assert speaker.wait_until_idle(10)
    (record,) = caplog.records
    assert record.getMessage().startswith(
        f"voice prompts are silent: SpeechError: cannot run {tmp_path / 'no-such-espeak-ng'}: "
    )
    assert sink_files(sink) == []
    with pytest.raises(speech.SpeechError):
        speaker.synthesize("您好", "zh")


@pytest.mark.expect_log("kiosk.voice.speech")
def test_no_audio_device_is_one_warning_not_one_per_prompt(
    tmp_path: Path,
    make_speaker: Callable[..., speech.EspeakSpeaker],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # espeak-ng's own behaviour without a sound card: exit status 0, complaints on stderr.
    engine = fake_engine(
        tmp_path,
        "cat >/dev/null\necho 'ALSA lib pcm.c: Unknown PCM default' >&2\n"
        "echo 'error: No such file or directory' >&2",
    )
    speaker = make_speaker(str(engine))
    with caplog.at_level(logging.WARNING, logger="kiosk.voice.speech"):
        for _ in range(3):
            speaker.say("您好", "zh")
            assert speaker.wait_until_idle(10)
    assert [r.getMessage() for r in caplog.records] == [
        "voice prompts are silent: SpeechError: espeak-ng could not play (no audio device?): "
        "error: No such file or directory"
    ]


@pytest.mark.expect_log("kiosk.voice.speech")
def test_bad_calls_never_raise(
    espeak: str, make_speaker: Callable[..., speech.EspeakSpeaker], spy: EngineSpy
) -> None:
    speaker = make_speaker(espeak)
    speaker.say("Bonjour", "fr")
    speaker.say("   ", "zh")
    speaker.stop()
    assert speaker.wait_until_idle(10)
    assert spy.runs == []
    with pytest.raises(speech.SpeechError, match="unknown language 'fr'"):
        speaker.synthesize("Bonjour", "fr")
    assert issubclass(speech.SpeechError, errors.KioskError)


def test_the_spoken_text_is_never_logged(
    espeak: str,
    tmp_path: Path,
    make_speaker: Callable[..., speech.EspeakSpeaker],
    caplog: pytest.LogCaptureFixture,
) -> None:
    speaker = make_speaker(espeak, sink_dir=tmp_path / "sink")
    with caplog.at_level(logging.DEBUG, logger="kiosk.voice.speech"):
        speaker.say("您的信用报告共有3条失信记录", "zh")
        assert speaker.wait_until_idle(10)
        speaker.say("You have 731 points", "en")
        assert speaker.wait_until_idle(10)
    assert "voice prompt: 14 characters (zh)" in caplog.text
    assert "voice prompt: 19 characters (en)" in caplog.text
    assert not re.search(r"失信|731|points|shi1 xin4", caplog.text)
    assert all(r.levelno <= logging.DEBUG for r in caplog.records)


# ---------------------------------------------------------------- choosing a speaker


def test_null_speaker_starts_no_engine_and_outlives_close(spy: EngineSpy) -> None:
    speaker: speech.Speaker = speech.NullSpeaker()
    speaker.say("您好", "zh")
    speaker.stop()
    speaker.close()
    speaker.say("还在吗", "zh")  # a prompt after shutdown is quietly dropped, not an error
    assert spy.runs == []


def test_build_speaker_gives_espeak_when_it_is_there(espeak: str, tmp_path: Path) -> None:
    settings = config.parse_config({"voice": {"rate_wpm": 120, "volume": 150}}).voice
    speaker = speech.build_speaker(settings, sink_dir=tmp_path)
    try:
        assert isinstance(speaker, speech.EspeakSpeaker)
        assert (speaker.executable, speaker.rate_wpm, speaker.volume) == (espeak, 120, 150)
        assert speaker.sink_dir == tmp_path
    finally:
        speaker.close()


def test_voice_switched_off_gives_a_null_speaker(caplog: pytest.LogCaptureFixture) -> None:
    settings = config.parse_config({"voice": {"engine": "none"}}).voice
    with caplog.at_level(logging.INFO, logger="kiosk.voice.speech"):
        assert isinstance(speech.build_speaker(settings), speech.NullSpeaker)
    assert caplog.messages == ["voice prompts off (voice.engine = none)"]


@pytest.mark.expect_log("kiosk.voice.speech")
def test_no_espeak_on_path_gives_a_null_speaker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert speech.find_espeak() is None
    with caplog.at_level(logging.INFO, logger="kiosk.voice.speech"):
        assert isinstance(speech.build_speaker(config.VoiceConfig()), speech.NullSpeaker)
    assert caplog.messages == [
        "voice prompts off: espeak-ng is not installed (apt-get install espeak-ng)"
    ]


@pytest.mark.expect_log("kiosk.voice.speech")
def test_espeak_without_the_pinyin_voice_gives_a_null_speaker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # An espeak-ng whose data has only the plain cmn voice (the one that reads tones as digits).
    engine = fake_engine(
        tmp_path,
        "echo 'Pty Language       Age/Gender VoiceName          File     Other Languages'\n"
        "echo ' 5  cmn             --/M      Chinese_(Mandarin) sit/cmn  (zh-cmn 5)(zh 5)'",
    )
    monkeypatch.setenv("PATH", str(tmp_path))
    assert speech.find_espeak() == str(engine)
    assert not speech.has_mandarin_voice(str(engine))
    assert not speech.has_mandarin_voice(str(tmp_path / "missing"))
    with caplog.at_level(logging.INFO, logger="kiosk.voice.speech"):
        assert isinstance(speech.build_speaker(config.VoiceConfig()), speech.NullSpeaker)
    assert caplog.messages == [
        f"voice prompts off: {engine} has no cmn-latn-pinyin voice (espeak-ng-data)"
    ]
