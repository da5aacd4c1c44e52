import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users made here need a password, not a strong one: hashing with the production cost takes a second."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
