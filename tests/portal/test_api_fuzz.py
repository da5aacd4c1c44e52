"""Hostile input against the whole API (schemathesis): generated valid and invalid requests for every
operation of the OpenAPI schema, as anonymous, an enterprise and staff. No 5xx, and every documented
response matches the schema. The examples are derandomized (a fixed seed) and bounded, so the run is
the same each time and short."""

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.factories import StaffFactory
from tests.subsidies.award_factories import PublicizedAwardFactory

# Without a test transaction around the run: each request commits or fails on its own, as in production,
# so a refused query of one generated request (PostgreSQL aborts the transaction) cannot poison the next.
pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = 2  # per operation and generation mode: the three roles take about a minute


@pytest.fixture
def api_schema(settings):
    settings.THROTTLE_RATES = {}  # the fuzzer is one client making hundreds of calls
    settings.DEBUG = True  # the schema is served to anyone on a development set-up
    response = Client().get("/api/schema/", {"format": "json"})
    settings.DEBUG = False
    assert response.status_code == 200
    schema = schemathesis.openapi.from_dict(json.loads(response.content))
    schema.app = get_wsgi_application()
    return schema


def _session_headers(user) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    token = _get_new_csrf_string()
    cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={token}"
    return {"Cookie": cookie, "X-CSRFToken": token}


def _fuzz(schema, headers: dict[str, str]) -> None:
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis_settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                response = case.call(headers=headers)
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

            run()


def test_the_api_survives_generated_requests_as_anonymous(api_schema):
    _fuzz(api_schema, {})


def test_the_api_survives_generated_requests_as_an_enterprise(api_schema, owner):
    PublicizedAwardFactory(enterprise=owner.enterprise)
    _fuzz(api_schema, _session_headers(owner))


def test_the_api_survives_generated_requests_as_staff(api_schema):
    _fuzz(api_schema, _session_headers(StaffFactory(is_superuser=True)))
