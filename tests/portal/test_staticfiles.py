"""Production's static files storage gives WhiteNoise's addresses, working each out once."""

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from portal.staticfiles import ManifestStaticFilesStorage

MANIFEST = {
    "version": "1.1",
    "hash": "0",
    "paths": {
        "admin/img/icon-yes.svg": "admin/img/icon-yes.5ef2d3e4b1c9.svg",
        "css/site.css": "css/site.9f8e.css",
    },
}


@pytest.fixture
def collected(tmp_path):
    (tmp_path / "staticfiles.json").write_text(json.dumps(MANIFEST))
    return tmp_path


def test_addresses_are_whitenoises_and_worked_out_once(collected, monkeypatch):
    storage = ManifestStaticFilesStorage(location=collected, base_url="/static/")
    reference = CompressedManifestStaticFilesStorage(location=collected, base_url="/static/")
    asked = []
    original = CompressedManifestStaticFilesStorage.url

    def counting(self, name, force=False):
        asked.append(name)
        return original(self, name, force)

    monkeypatch.setattr(CompressedManifestStaticFilesStorage, "url", counting)
    addresses = [storage.url("admin/img/icon-yes.svg") for _ in range(3)] + [storage.url("css/site.css")]

    assert addresses == [reference.url("admin/img/icon-yes.svg")] * 3 + [reference.url("css/site.css")]
    assert addresses[0] == "/static/admin/img/icon-yes.5ef2d3e4b1c9.svg"
    assert asked.count("admin/img/icon-yes.svg") == 2  # once for the storage, once for the reference


def test_a_file_missing_from_the_manifest_is_refused_every_time(collected):
    storage = ManifestStaticFilesStorage(location=collected, base_url="/static/")

    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/absent.css")
