"""The web process's start-up: it is ready to search before its first request."""

import importlib


def test_starting_the_web_process_loads_jiebas_dictionary(monkeypatch):
    from portal import search

    monkeypatch.setattr(search, "_jieba", None)
    import portal.wsgi

    importlib.reload(portal.wsgi)

    assert search._jieba is not None
    assert search._jieba.dt.initialized is True
