"""The English translation: complete, compiled, placeholders kept, switched at run time."""

from __future__ import annotations

import logging
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tools import translations
from ui import i18n

# Written out again here rather than taken from the tool, so a wrong pattern there is caught.
PLACEHOLDERS = re.compile(r"%(?:[0-9]+|n)")


def test_every_screen_text_is_translated_and_the_qm_is_current(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # What CI runs: a forgotten translation (or .qm) fails here with the texts listed.
    status = translations.main(["--check"])
    assert status == 0, capsys.readouterr().out


def test_every_translation_keeps_the_placeholders_of_its_source() -> None:
    messages = list(translations.messages())
    assert len(messages) > 200  # the real file, not an empty one
    for message in messages:
        for form in message.forms:
            assert sorted(PLACEHOLDERS.findall(form)) == sorted(
                PLACEHOLDERS.findall(message.source)
            ), message.label()


def test_translations_keep_the_line_breaks_of_their_source() -> None:
    for message in translations.messages():
        for form in message.forms:
            assert form.count("\n") == message.source.count("\n"), message.label()


def test_only_the_resident_facing_sources_are_read() -> None:
    sources = translations.sources()
    assert "ui/main_window.py" in sources
    assert "kiosk/errors.py" in sources
    assert all(path.split("/")[0] in {"ui", "kiosk"} for path in sources)


def test_the_ts_names_sources_relative_to_itself() -> None:
    root = ET.parse(translations.TS_FILE).getroot()
    names = [item.get("filename") for item in root.iter("location") if item.get("filename")]
    assert names
    assert all(name is not None and name.startswith("../../") for name in names)


def test_the_check_lists_an_unfinished_text_a_lost_placeholder_and_a_stale_qm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ts_file, qm_file = tmp_path / "kiosk_en.ts", tmp_path / "kiosk_en.qm"
    shutil.copyfile(translations.TS_FILE, ts_file)
    shutil.copyfile(translations.QM_FILE, qm_file)
    tree = ET.parse(ts_file)
    for message in tree.getroot().iter("message"):
        translation = message.find("translation")
        assert translation is not None
        if message.findtext("source") == "呼叫工作人员":
            translation.set("type", "unfinished")
        if message.findtext("source") == "%1 秒后返回首页":
            translation.text = "Returning to the start page soon"
    tree.write(ts_file, encoding="utf-8", xml_declaration=True)
    monkeypatch.setattr(translations, "TS_FILE", ts_file)
    monkeypatch.setattr(translations, "QM_FILE", qm_file)
    found = "\n".join(translations.problems())
    assert "no finished translation for KioskWindow: '呼叫工作人员'" in found
    assert "placeholders differ in DoneScreen: '%1 秒后返回首页'" in found
    assert "kiosk_en.qm is out of date" in found


@pytest.mark.usefixtures("qapp")  # the translator is installed on the running application
def test_english_is_installed_and_chinese_restored() -> None:
    languages = i18n.Languages()
    assert languages.switch("en")
    try:
        assert i18n.translate("KioskWindow", "呼叫工作人员") == "Call staff"
        assert i18n.translated("Sections", "行政处罚") == "Administrative penalties"
    finally:
        languages.switch("zh")
    assert languages.current == "zh"
    assert i18n.translate("KioskWindow", "呼叫工作人员") == "呼叫工作人员"


@pytest.mark.usefixtures("qapp")
@pytest.mark.expect_log("ui.i18n")
def test_a_missing_qm_shows_chinese_and_says_so_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    languages = i18n.Languages(directory=tmp_path)
    with caplog.at_level(logging.ERROR, logger="ui.i18n"):
        assert languages.switch("en")
    try:
        assert i18n.translate("KioskWindow", "呼叫工作人员") == "呼叫工作人员"
        assert "kiosk_en.qm missing or unreadable" in caplog.text
    finally:
        languages.switch("zh")
