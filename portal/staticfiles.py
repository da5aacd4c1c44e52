"""The static files storage of production: WhiteNoise's compressed manifest storage, answering each file's
address from memory once worked out.

Working out an address (the hashed name from the manifest, joined to ``STATIC_URL`` and quoted) takes about
40 µs; an admin change list asks for about 120 (a tick or cross icon per boolean cell), every page for a
dozen. The manifest is read once at start-up and does not change while the process runs, so neither do the
addresses.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._addresses: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        address = self._addresses.get(name)
        if address is None:
            # A name missing from the manifest raises here, and is asked about again next time.
            address = self._addresses[name] = super().url(name)
        return address
