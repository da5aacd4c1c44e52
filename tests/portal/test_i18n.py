import pytest

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


def _quoted(lines: list[str]) -> str:
    return "".join(line.split('"', 1)[1].rsplit('"', 1)[0] for line in lines if '"' in line)


def test_every_chinese_interface_string_has_an_english_translation():
    from pathlib import Path

    po = Path(__file__).resolve().parents[2] / "locale/en/LC_MESSAGES/django.po"
    untranslated = []
    for entry in po.read_text(encoding="utf-8").split("\n\n")[1:]:
        lines = [line for line in entry.splitlines() if not line.startswith("#~")]
        if not lines:
            continue
        start = next(n for n, line in enumerate(lines) if line.startswith("msgid "))
        first_str = next(n for n, line in enumerate(lines) if line.startswith("msgstr"))
        msgid = _quoted(lines[start:first_str])
        msgstr = _quoted(lines[first_str:])
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines[:start])
        if _has_chinese(msgid) and (fuzzy or not msgstr):
            untranslated.append(msgid)

    assert untranslated == []
