"""Voice prompts: a controller listener that speaks each screen's prompt in large-text mode.

The words come from ``kiosk.voice.prompts`` and are translated here (the speaker speaks the
session's language). Speaking happens on the speaker's own thread; this listener only picks
what to say, once per prompt, and silences the speaker when the mode is left, the prompts
are muted or the session ends.
"""

from __future__ import annotations

from kiosk.flow import session
from kiosk.voice import prompts, speech
from ui.i18n import translated


def prompt_text(prompt: prompts.Prompt, language: str = "zh") -> str:
    """The prompt's words in the current language; each part ends as a sentence (a message's
    title has no full stop of its own)."""
    stop = "。" if language == "zh" else ". "
    sentences = []
    for context, source in prompt.parts:
        part = translated(context, source).strip()
        sentences.append(part if part.endswith(_ENDINGS) else part + stop)
    return "".join(sentences).strip().replace("%1", prompt.value)


_ENDINGS = ("。", "！", "？", ".", "!", "?", "”", '"')


class VoicePrompts:
    """Says the prompt of each new screen while large-text mode is on and not muted."""

    def __init__(self, speaker: speech.Speaker) -> None:
        self._speaker = speaker
        self._last_key: str | None = None

    def __call__(self, state: session.SessionState) -> None:
        """Listener: called with every new state (GUI thread)."""
        if not state.resident.elder_mode or state.resident.muted:
            if self._last_key is not None:
                self._speaker.stop()
                self._last_key = None
            return
        prompt = prompts.prompt_for(state)
        key = None if prompt is None else f"{state.resident.language}:{prompt.key}"
        if key == self._last_key:
            return
        self._last_key = key
        if prompt is None:
            self._speaker.stop()
            return
        self._speaker.say(prompt_text(prompt, state.resident.language), state.resident.language)
