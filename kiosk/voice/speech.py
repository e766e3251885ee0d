"""Spoken prompts for the large-text mode: espeak-ng behind a small interface that cannot hurt.

The UI hands a ``Speaker`` each screen's instruction and the report summary. ``say`` returns at
once and never raises: the speech runs on the speaker's own thread, and the newest prompt wins
(it cuts off the one playing). A kiosk without espeak-ng, or with ``voice.engine = "none"``,
gets a ``NullSpeaker`` and works exactly the same, silently.

Mandarin is sent to espeak-ng's ``cmn-latn-pinyin`` voice as tone-numbered pinyin made by
pypinyin (Debian 12's plain ``cmn`` voice reads the tones of its own romanisation as digits).
pypinyin is loaded with its character readings only and the few hundred words the kiosk's own
texts contain (``assets/voice/pinyin_phrases.json``, made by ``tools/build_voice_phrases.py``):
its whole phrase dictionary costs about 40 MB more for words no prompt says.
Numbers are spelled out in Chinese first (espeak-ng reads 12345 as "twelve thousand..."), and
Latin words in a Chinese prompt ("PIN", "QR") go to the English voice in the same SSML text.

The spoken text is never logged, only its length and language at DEBUG: a report summary may
carry a figure from the report.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import unicodedata
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol
from xml.sax.saxutils import escape

from kiosk import assets, errors, i18n
from kiosk.config import VoiceConfig

log = logging.getLogger(__name__)

ENGINE = "espeak-ng"
ZH_VOICE = "cmn-latn-pinyin"  # Mandarin, reading Latin text as tone-numbered pinyin
EN_VOICE = "en-us"
POLL_S = 0.05  # how soon a playing prompt notices a newer prompt or stop()
SYNTHESIS_TIMEOUT_S = 30.0  # synthesize() only; a playing prompt lasts as long as it speaks
_DEFAULTS = VoiceConfig()


class SpeechError(errors.KioskError):
    """espeak-ng could not be run or gave no usable audio (raised by ``synthesize`` only;
    a speaker's worker logs it instead)."""


class Speaker(Protocol):
    """Reads prompts aloud. No method blocks for long or raises."""

    def say(self, text: str, language: str) -> None:
        """Speak ``text`` ("zh" or "en") soon, replacing whatever is playing or waiting."""
        ...

    def stop(self) -> None:
        """Silence now: cut the prompt playing and drop the one waiting."""
        ...

    def close(self) -> None:
        """Stop for good (kiosk shutdown); later calls do nothing."""
        ...


class NullSpeaker:
    """A speaker that says nothing: voice switched off, or no speech engine on this machine."""

    def say(self, text: str, language: str) -> None:
        """Do nothing."""
        del text, language

    def stop(self) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""


# ---------------------------------------------------------------- Chinese text to pinyin

_DIGITS = "零一二三四五六七八九"
# Hotlines and phone numbers are read digit by digit with 1 as "yao1" (幺), the way people in
# the hall say "12345" to each other; 一 and 七 are too easily confused over a loudspeaker.
_CODE_DIGITS = "零幺二三四五六七八九"
_LONGEST_QUANTITY = 12  # digits; up to 9999亿, beyond that only codes are that long

_HAN = r"\u3007\u3400-\u4dbf\u4e00-\u9fff"  # 〇 and the CJK ideographs pypinyin knows
_NUMBER = re.compile(
    r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?P<fraction>\.[0-9]+)?(?P<percent>%)?"
)
_TOKEN = re.compile(
    rf"(?P<han>[{_HAN}]+)"
    r"|(?P<latin>[A-Za-z]+(?:['’-][A-Za-z]+)*)"
    r"|(?P<stop>[。.!?…]+)"
    r"|(?P<pause>[,、;:()\[\]《》〈〉「」『』“”\"—–\-/~·]+)"
)
_PINYIN_SYLLABLE = re.compile(r"[a-z]+[1-5]")  # what the cmn-latn-pinyin voice reads


def _read_group(value: int) -> str:
    """1..9999 in Chinese: 1010 -> 一千零一十."""
    words: list[str] = []
    gap = False  # a zero place since the last digit read: "零" comes before the next one
    for place, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = value // place % 10
        if digit == 0:
            gap = bool(words)
            continue
        if gap:
            words.append("零")
        words.append(_DIGITS[digit] + unit)
        gap = False
    return "".join(words)


def _read_quantity(digits: str) -> str:
    """A whole number below 10**12 in Chinese: 12345 -> 一万二千三百四十五, 15 -> 十五."""
    value = int(digits)
    if value == 0:
        return _DIGITS[0]
    words: list[str] = []
    gap = False
    for scale, unit in ((10**8, "亿"), (10**4, "万"), (1, "")):
        group = value // scale % 10**4
        if group == 0:
            gap = gap or bool(words)
            continue
        if words and (gap or group < 1000):  # 一万零五, 一亿零一百
            words.append("零")
        words.append(_read_group(group) + unit)
        gap = False
    text = "".join(words)
    return text[1:] if text.startswith("一十") else text  # 十五, not 一十五


def _is_code(whole: str, before: str, after: str) -> bool:
    """Whether a number is read digit by digit: hotlines, phone numbers, the visible ends of a
    masked ID number. Long numbers are still quantities when they are money (20000元) or are
    written with thousands separators (12,500)."""
    digits = whole.replace(",", "")
    if len(digits) > _LONGEST_QUANTITY or "*" in before + after:
        return True
    if "," in whole:
        return False
    return (len(digits) > 1 and digits.startswith("0")) or (len(digits) >= 5 and after != "元")


def _spell_number(match: re.Match[str]) -> str:
    """One number of a Chinese prompt as Chinese words."""
    whole = match["whole"]
    digits = whole.replace(",", "")
    fraction = match["fraction"] or ""
    before = match.string[max(0, match.start() - 1) : match.start()]
    after = match.string[match.end() :].lstrip()[:1]
    if after == "年" and len(digits) == 4 and not fraction:
        words = "".join(_DIGITS[int(d)] for d in digits)  # a year: 二零二四年
    elif _is_code(whole, before, after):
        words = "".join(_CODE_DIGITS[int(d)] for d in digits)
    else:
        words = _read_quantity(digits)
        if (
            words == "二"
            and not fraction
            and before != "第"
            and re.fullmatch(f"[{_HAN}]", after)
            and after not in "月日号"
        ):
            words = "两"  # a count (两条记录, 两年), but 第二页, 二月, 二号 and a bare 2
    if fraction:
        words += "点" + "".join(_DIGITS[int(d)] for d in fraction[1:])
    if match["percent"]:
        words = "百分之" + words
    return words


PHRASES_PATH = assets.ASSETS_DIR / "voice" / "pinyin_phrases.json"
# pypinyin reads these when it is first imported: no phrase dictionary, and no copy of the
# character dictionary (the kiosk adds no readings of its own to it).
_PYPINYIN_LEAN = {"PYPINYIN_NO_PHRASES": "1", "PYPINYIN_NO_DICT_COPY": "1"}
_pypinyin_lock = threading.Lock()


def _pypinyin() -> Any:
    """pypinyin, imported on first use with the kiosk's phrases only. Imported here, not at the
    top: the worker thread (or the warm-up) pays for it, never the kiosk's start-up. Where
    something imported it already (a build tool, with every phrase), it is used as it is: it
    reads the kiosk's texts the same (tests/unit/test_voice_phrases.py)."""
    with _pypinyin_lock:
        if "pypinyin" in sys.modules:
            return sys.modules["pypinyin"]
        saved = {name: os.environ.get(name) for name in _PYPINYIN_LEAN}
        os.environ.update(_PYPINYIN_LEAN)
        try:
            import pypinyin
        finally:
            for name, value in saved.items():  # espeak-ng and other children never see them
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        phrases = json.loads(PHRASES_PATH.read_text(encoding="utf-8"))["phrases"]
        pypinyin.load_phrases_dict(phrases)
        return pypinyin


def _han_to_pinyin(han: str) -> list[str]:
    pypinyin = _pypinyin()
    syllables = pypinyin.lazy_pinyin(
        han, style=pypinyin.Style.TONE3, neutral_tone_with_five=True, tone_sandhi=True
    )
    return [s for s in syllables if _PINYIN_SYLLABLE.fullmatch(s)]


def warm_up() -> None:
    """Load pypinyin now (the kiosk's warm-up, on a worker thread): loaded by the first
    large-text prompt instead, it held the GIL in the middle of a resident's session and froze
    the window for as long (with the whole phrase dictionary, 0.2 s: the soak's worst stall)."""
    _han_to_pinyin("您好")


def _spelled(text: str) -> str:
    """``text`` with its numbers spelled out in Chinese, as the Mandarin voice reads it."""
    return _NUMBER.sub(_spell_number, unicodedata.normalize("NFKC", text))


def han_runs(text: str) -> list[str]:
    """The runs of Chinese characters of ``text`` that pypinyin reads, numbers spelled out
    first (what ``tools/build_voice_phrases.py`` collects the words of)."""
    return [token["han"] for token in _TOKEN.finditer(_spelled(text)) if token["han"]]


def _mandarin_segments(text: str) -> list[tuple[str, list[str]]]:
    """``text`` as runs of (language, words): pinyin syllables for "zh", Latin words for "en".

    Punctuation becomes a pause mark on the word before it ("," or "." "?" "!"); anything else
    that is neither Chinese nor Latin (symbols, the * of a masked number) is left out.
    """
    segments: list[tuple[str, list[str]]] = []
    for token in _TOKEN.finditer(_spelled(text)):
        if token["han"] or token["latin"]:
            language = "zh" if token["han"] else "en"
            words = _han_to_pinyin(token["han"]) if token["han"] else [token["latin"]]
            if not words:
                continue
            if segments and segments[-1][0] == language:
                segments[-1][1].extend(words)
            else:
                segments.append((language, words))
        elif segments:
            stop = token["stop"] or ""
            mark = "," if token["pause"] else "?" if "?" in stop else "!" if "!" in stop else "."
            words = segments[-1][1]
            if words[-1][-1] not in ",.?!":
                words[-1] += mark
            elif words[-1][-1] == "," and mark != ",":  # “不同意”。 ends a sentence
                words[-1] = words[-1][:-1] + mark
    return segments


def chinese_to_pinyin(text: str) -> str:
    """A Chinese prompt as the text the Mandarin voice reads: "您好，共3页" -> "nin2 hao3, gong4
    san1 ye4". Latin words stay as they are (the English voice reads them)."""
    return " ".join(word for _, words in _mandarin_segments(text) for word in words)


def _mandarin_ssml(text: str) -> str:
    voices = {"zh": ZH_VOICE, "en": EN_VOICE}
    parts = [
        f'<voice name="{voices[language]}">{escape(" ".join(words))}</voice>'
        for language, words in _mandarin_segments(text)
    ]
    return "<speak>" + " ".join(parts) + "</speak>"


# ---------------------------------------------------------------- espeak-ng


def find_espeak() -> str | None:
    """The espeak-ng program on PATH, or None."""
    return shutil.which(ENGINE)


def has_mandarin_voice(executable: str) -> bool:
    """Whether ``executable`` knows the ``cmn-latn-pinyin`` voice (espeak-ng-data has it)."""
    try:
        result = subprocess.run(
            [executable, "--voices=cmn"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    # Columns: Pty Language Age/Gender VoiceName File Other-languages
    return any(line.split()[1:2] == [ZH_VOICE] for line in result.stdout.splitlines())


def build_speaker(settings: VoiceConfig, *, sink_dir: Path | None = None) -> Speaker:
    """The speaker ``settings`` ask for, or a ``NullSpeaker`` (logged once) when there is none.

    Runs ``espeak-ng --voices`` once (about 10 ms). ``sink_dir``: write each prompt there as a
    numbered WAV file instead of playing it (the demo, headless machines).
    """
    if settings.engine == "none":
        log.info("voice prompts off (voice.engine = none)")
        return NullSpeaker()
    executable = find_espeak()
    if executable is None:
        log.warning("voice prompts off: espeak-ng is not installed (apt-get install espeak-ng)")
        return NullSpeaker()
    if not has_mandarin_voice(executable):
        log.warning("voice prompts off: %s has no %s voice (espeak-ng-data)", executable, ZH_VOICE)
        return NullSpeaker()
    log.info("voice prompts: %s at %d wpm, volume %d", ENGINE, settings.rate_wpm, settings.volume)
    return EspeakSpeaker(
        executable, rate_wpm=settings.rate_wpm, volume=settings.volume, sink_dir=sink_dir
    )


def _complete_wav(stream: bytes) -> bytes:
    """espeak-ng's --stdout WAV with its real length: a pipe cannot seek back to the header,
    so espeak-ng writes an endless one there."""
    try:
        with wave.open(io.BytesIO(stream)) as source:
            params = source.getparams()
            frames = source.readframes(source.getnframes())
    except (wave.Error, EOFError) as exc:
        raise SpeechError(f"espeak-ng gave no WAV ({exc})") from None
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(params.nchannels)
        wav.setsampwidth(params.sampwidth)
        wav.setframerate(params.framerate)
        wav.writeframes(frames)
    return out.getvalue()


@dataclasses.dataclass(frozen=True)
class _Prompt:
    text: str
    language: str
    generation: int  # say() and stop() count up; a prompt whose number is not current is cut


class EspeakSpeaker:
    """Speaks through espeak-ng on one daemon thread of its own, named "kiosk-speech".

    Args:
        executable: The espeak-ng program (``find_espeak()``).
        rate_wpm: Speed; for Mandarin, syllables a minute.
        volume: espeak-ng's amplitude, 0..200.
        sink_dir: Write each prompt to ``prompt-0001-zh.wav``... there instead of playing it.
            Only whole prompts are written: one cut short leaves no file.
    """

    def __init__(
        self,
        executable: str,
        *,
        rate_wpm: int = _DEFAULTS.rate_wpm,
        volume: int = _DEFAULTS.volume,
        sink_dir: Path | None = None,
    ) -> None:
        self.executable = executable
        self.rate_wpm = rate_wpm
        self.volume = volume
        self.sink_dir = sink_dir
        self._changed = threading.Condition()  # guards everything below
        self._pending: _Prompt | None = None
        self._generation = 0
        self._busy = False
        self._closed = False
        self._failing = False  # the last prompt failed and that was logged (once, not per prompt)
        self._sink_number = 0
        self._thread = threading.Thread(target=self._run, name="kiosk-speech", daemon=True)
        self._thread.start()

    # ------------------------------------------------ the caller's side (GUI thread)

    def say(self, text: str, language: str) -> None:
        """Queue ``text`` in ``language`` ("zh" or "en"), replacing any earlier prompt.

        An empty text is a stop(). An unknown language is logged and ignored.
        """
        if language not in i18n.LANGUAGES:
            log.warning("voice prompt ignored: unknown language %r", language)
            return
        with self._changed:
            if self._closed:
                return
            self._generation += 1
            self._pending = _Prompt(text, language, self._generation) if text.strip() else None
            self._changed.notify_all()

    def stop(self) -> None:
        """Cut the prompt playing (within ``POLL_S``) and drop the one waiting."""
        with self._changed:
            self._generation += 1
            self._pending = None
            self._changed.notify_all()

    def close(self) -> None:
        """Stop and end the worker thread (waits for it up to 1 s)."""
        with self._changed:
            self._closed = True
            self._generation += 1
            self._pending = None
            self._changed.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)

    def wait_until_idle(self, timeout: float) -> bool:
        """Block until nothing is playing or waiting; False after ``timeout`` seconds.

        For tests and the demo's end; never on the GUI thread.
        """
        with self._changed:
            return self._changed.wait_for(
                lambda: self._closed or (self._pending is None and not self._busy), timeout
            )

    def synthesize(self, text: str, language: str) -> bytes:
        """``text`` spoken in ``language`` as the bytes of a WAV file, on the calling thread.

        Raises:
            SpeechError: Unknown language, espeak-ng missing, failing or too slow.
        """
        if language not in i18n.LANGUAGES:
            raise SpeechError(f"unknown language {language!r}")
        deadline = time.monotonic() + SYNTHESIS_TIMEOUT_S
        command = self._command(language, to_stdout=True)
        stream = self._run_engine(
            command, self._payload(text, language), lambda: time.monotonic() > deadline
        )
        if stream is None:
            raise SpeechError(f"espeak-ng took more than {SYNTHESIS_TIMEOUT_S:.0f} s")
        return _complete_wav(stream)

    # ------------------------------------------------ the worker thread

    def _run(self) -> None:
        # pypinyin (about 12 MB, 0.04 s) loads with the first Mandarin prompt unless the
        # kiosk's warm-up loaded it, never at start-up.
        while True:
            with self._changed:
                self._busy = False
                self._changed.notify_all()  # wait_until_idle()
                self._changed.wait_for(lambda: self._closed or self._pending is not None)
                if self._closed:
                    return
                prompt, self._pending = self._pending, None
                self._busy = True
            assert prompt is not None  # for mypy: wait_for() returned on a pending prompt
            try:
                spoken = self._speak(prompt)
            except Exception as exc:  # noqa: BLE001 - thread boundary: never kill the worker
                self._report_failure(f"{type(exc).__name__}: {exc}")
                continue
            if spoken and self._failing:
                self._failing = False
                log.info("voice prompts work again")

    def _speak(self, prompt: _Prompt) -> bool:
        """Play or write one prompt; False when it was cut short."""
        log.debug("voice prompt: %d characters (%s)", len(prompt.text), prompt.language)

        def superseded() -> bool:
            return self._generation != prompt.generation  # an int read: no lock needed

        payload = self._payload(prompt.text, prompt.language)
        if payload == b"<speak></speak>":
            return True  # nothing readable (only symbols): no empty WAV in the sink
        to_file = self.sink_dir is not None
        command = self._command(prompt.language, to_stdout=to_file)
        output = self._run_engine(command, payload, superseded)
        if output is None:
            log.debug("voice prompt cut short")
            return False
        if to_file:
            self._write_to_sink(_complete_wav(output), prompt.language)
        return True

    def _write_to_sink(self, wav: bytes, language: str) -> None:
        assert self.sink_dir is not None
        self.sink_dir.mkdir(parents=True, exist_ok=True)
        if not self._sink_number:  # carry on after the files of an earlier run
            numbers = [
                int(p.name[7:11]) for p in self.sink_dir.glob("prompt-[0-9][0-9][0-9][0-9]-*")
            ]
            self._sink_number = max(numbers, default=0)
        self._sink_number += 1
        target = self.sink_dir / f"prompt-{self._sink_number:04d}-{language}.wav"
        part = target.with_name(f".{target.name}.part")  # a reader never sees half a file
        part.write_bytes(wav)
        part.replace(target)

    def _report_failure(self, reason: str) -> None:
        """Log a failure once until a prompt works again: a kiosk without a sound card would
        otherwise log one warning per screen all day."""
        if not self._failing:
            self._failing = True
            log.warning("voice prompts are silent: %s", reason)

    # ------------------------------------------------ espeak-ng itself

    def _command(self, language: str, *, to_stdout: bool) -> list[str]:
        command = [self.executable, "-b", "1", "-s", str(self.rate_wpm), "-a", str(self.volume)]
        if language == "zh":
            command += ["-m", "-v", ZH_VOICE]  # -m: SSML, to switch voices for Latin words
        else:
            command += ["-v", EN_VOICE]
        if to_stdout:
            command.append("--stdout")
        return command  # the text comes on stdin: never parsed as an option, never in `ps`

    @staticmethod
    def _payload(text: str, language: str) -> bytes:
        return (_mandarin_ssml(text) if language == "zh" else text).encode("utf-8", "replace")

    def _run_engine(
        self, command: list[str], payload: bytes, cancelled: Callable[[], bool]
    ) -> bytes | None:
        """Run espeak-ng to its end and return its stdout; None when ``cancelled()`` first
        (checked every ``POLL_S``; the process is killed: that is what cuts a prompt short).

        Raises:
            SpeechError: espeak-ng cannot start, fails, or plays into no audio device.
        """
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise SpeechError(f"cannot run {self.executable}: {exc}") from None
        unsent: bytes | None = payload
        while True:
            try:
                stdout, stderr = process.communicate(unsent, timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                unsent = None  # communicate() goes on sending the rest by itself
            if cancelled():
                process.kill()
                process.communicate()
                return None
        # espeak-ng exits 0 even when it found no audio device; it only says so on stderr.
        complaint = stderr.decode("utf-8", "replace").strip().splitlines()
        if process.returncode != 0 or any("error" in line.lower() for line in complaint):
            last = complaint[-1][:200] if complaint else f"exit status {process.returncode}"
            what = "failed" if "--stdout" in command else "could not play (no audio device?)"
            raise SpeechError(f"espeak-ng {what}: {last}")
        return stdout
