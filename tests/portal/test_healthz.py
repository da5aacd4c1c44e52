import pytest
from django.db import DatabaseError


@pytest.mark.django_db
def test_healthz_is_200_and_names_every_dependency(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(*args, **kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(CursorWrapper, "execute", broken)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {
        "ok": False,
        "backend": body["checks"]["database"]["backend"],
        "error": "DatabaseError",
    }


@pytest.mark.django_db
def test_healthz_is_503_when_the_cache_does_not_answer(client, monkeypatch):
    from django.core.cache import caches

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(type(caches["default"]), "set", broken)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["ok"] is False
