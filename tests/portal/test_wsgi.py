"""The web process's start-up: it is ready to search before its first request."""

import importlib

import pytest
from django.db import DatabaseError

from tests.policies.factories import PolicyFactory


@pytest.mark.django_db
def test_starting_the_web_process_loads_jiebas_dictionary(monkeypatch):
    from portal import search

    monkeypatch.setattr(search, "_jieba", None)
    import portal.wsgi

    importlib.reload(portal.wsgi)

    assert search._jieba is not None
    assert search._jieba.dt.initialized is True


@pytest.mark.django_db
def test_starting_the_web_process_builds_the_catalogue_search_index(monkeypatch):
    from policies import selectors

    PolicyFactory(code="rd", title="研发费用补助办法", status="published")
    built = []
    monkeypatch.setattr(
        selectors, "_catalogue_index", selectors.IndexHolder(lambda: built.append(1) or "index")
    )
    import portal.wsgi

    importlib.reload(portal.wsgi)

    assert built == [1]


@pytest.mark.django_db
def test_a_web_process_starts_even_when_the_database_cannot_be_reached(monkeypatch):
    from policies import selectors

    def unreachable():
        raise DatabaseError("connection refused")

    monkeypatch.setattr(selectors, "catalogue_index", unreachable)
    import portal.wsgi

    importlib.reload(portal.wsgi)

    assert portal.wsgi.application is not None
