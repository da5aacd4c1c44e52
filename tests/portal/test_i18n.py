import ast
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command

PROJECT = Path(__file__).resolve().parents[2]
PO_FILE = PROJECT / "locale/en/LC_MESSAGES/django.po"
# The folders `make messages` (Makefile) leaves out; keep the two alike.
MAKEMESSAGES_IGNORE = (".venv", "staticfiles", "node_modules", "tests/oidc/node_modules", "test-output")
SOURCE_SUFFIXES = (".py", ".html", ".txt")  # the files makemessages reads

pytestmark = pytest.mark.django_db


def test_the_language_switch_shows_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    page = client.get("/accounts/login/").content.decode()

    assert '<html lang="en">' in page
    assert "Log in" in page


def test_english_mode_says_once_that_the_content_stays_chinese(client):
    notice = "policies, news, notices and other published content are in Chinese"
    chinese = client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    english = client.get("/").content.decode()

    assert notice not in chinese
    assert english.count(notice) == 1


def test_english_mode_translates_the_error_pages(client, settings):
    settings.DEBUG = False
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    page = client.get("/no-such-page/").content.decode()

    assert "<h1>Page not found</h1>" in page
    assert "Back to the home page" in page
    assert "页面不存在" not in page


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@dataclass
class _Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgstrs: list[str] = field(default_factory=list)
    fuzzy: bool = False

    @property
    def translated(self) -> bool:
        return not self.fuzzy and bool(self.msgstrs) and all(self.msgstrs)


def _po_entries(text: str) -> dict[tuple[str | None, str], _Entry]:
    """The live entries of a PO file by (msgctxt, msgid); obsolete (``#~``) entries are left out."""
    entries: dict[tuple[str | None, str], _Entry] = {}
    entry, key = _Entry(), None

    def close() -> None:
        nonlocal entry, key
        if key is not None:
            entries[(entry.msgctxt, entry.msgid)] = entry
        entry, key = _Entry(), None

    for line in [*text.splitlines(), ""]:
        line = line.strip()
        if not line:
            close()
        elif line.startswith("#,"):
            entry.fuzzy = entry.fuzzy or "fuzzy" in line
        elif line.startswith("#"):  # other comments, and obsolete entries (#~)
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if key == "msgctxt":
                entry.msgctxt += value
            elif key == "msgid":
                entry.msgid += value
            elif key == "msgstr":
                entry.msgstrs[-1] += value
        else:
            keyword, value = line.split(" ", 1)
            value = ast.literal_eval(value)
            if keyword == "msgctxt":
                entry.msgctxt, key = value, "msgctxt"
            elif keyword == "msgid":
                entry.msgid, key = value, "msgid"
            elif keyword == "msgid_plural":
                key = "msgid_plural"
            else:  # msgstr or msgstr[n]
                entry.msgstrs.append(value)
                key = "msgstr"
    return entries


def _committed_entries() -> dict[tuple[str | None, str], _Entry]:
    return _po_entries(PO_FILE.read_text(encoding="utf-8"))


def test_every_chinese_interface_string_has_an_english_translation():
    untranslated = [
        msgid
        for (_, msgid), entry in _committed_entries().items()
        if _has_chinese(msgid) and not entry.translated
    ]

    assert untranslated == []


def _skip_unsourced(folder: str, names: list[str]) -> list[str]:
    """Leave out of the copy what makemessages would not read, and the committed catalogue."""
    left_out = {".git", "locale", "media", "__pycache__", *(Path(p).name for p in MAKEMESSAGES_IGNORE)}
    return [
        name
        for name in names
        if name in left_out or (Path(folder, name).is_file() and Path(name).suffix not in SOURCE_SUFFIXES)
    ]


def test_every_chinese_string_marked_in_the_code_has_an_english_translation(tmp_path, monkeypatch, settings):
    if shutil.which("xgettext") is None:
        reason = "GNU gettext (xgettext) is needed to extract the strings marked for translation"
        if os.environ.get("PORTAL_NO_SKIPS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    committed = _committed_entries()
    # makemessages writes to the catalogue of the folder it runs in: run it in a copy, into a fresh catalogue.
    shutil.copytree(PROJECT, tmp_path / "project", ignore=_skip_unsourced)
    monkeypatch.chdir(tmp_path / "project")
    settings.LOCALE_PATHS = [str(tmp_path / "locale")]

    call_command("makemessages", locale=["en"], ignore_patterns=list(MAKEMESSAGES_IGNORE), verbosity=0)

    in_code = _po_entries((tmp_path / "locale/en/LC_MESSAGES/django.po").read_text(encoding="utf-8"))

    assert len(in_code) > 1000  # the extraction saw the whole project
    missing = [
        msgid
        for key in in_code
        if _has_chinese(msgid := key[1]) and not (key in committed and committed[key].translated)
    ]
    assert missing == [], "run `make messages` and translate these in locale/en/LC_MESSAGES/django.po"


def test_django_form_messages_speak_to_the_user_not_of_variables(client, owner):
    """Django's Chinese says "确保该变量包含不超过 5000 字符"; the portal's catalogue words it for people."""
    client.force_login(owner)

    page = client.post("/me/problems/new/", {"category": "permits", "title": "", "description": "不" * 5001})

    text = page.content.decode()
    assert "该字段是必填项。" in text
    assert "最多可填写 5000 个字符，现在是 5001 个，请删减后重试。" in text
    assert "该变量" not in text and "这个字段" not in text


def test_the_portal_wording_is_chinese_only(settings):
    from django import forms
    from django.utils import translation

    field = forms.CharField(max_length=5)
    with translation.override("en"):
        with pytest.raises(forms.ValidationError) as refused:
            field.clean("abcdefg")
        assert refused.value.messages == ["Ensure this value has at most 5 characters (it has 7)."]
