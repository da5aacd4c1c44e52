import pytest

pytestmark = pytest.mark.django_db


def test_the_language_switch_shows_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    page = client.get("/accounts/login/").content.decode()

    assert '<html lang="en">' in page
    assert "Log in" in page
