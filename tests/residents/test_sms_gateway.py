"""The HTTP SMS gateway against a real HTTP server on 127.0.0.1 that the test starts."""

import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.residents import sms


class Provider:
    """A stand-in SMS provider: answers with the next status in ``statuses``, records every request."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                provider.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                status = provider.statuses.pop(0) if provider.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if status == 200 else b'{"ok": false}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def gateway(url, sleeps, **kwargs):
    return sms.HttpGateway(url=url, token="s3cret", timeout=2, sleep=sleeps.append, **kwargs)


def test_a_message_is_posted_as_json_with_the_idempotency_key_and_the_token():
    sleeps = []
    with Provider([200]) as provider:
        gateway(provider.url, sleeps).send(
            mobile="13812345678", text="验证码 123456", idempotency_key="key-1"
        )

    [request] = provider.requests
    assert request["path"] == "/sms/send"
    assert request["body"] == {"mobile": "13812345678", "text": "验证码 123456"}
    assert request["headers"]["Idempotency-Key"] == "key-1"
    assert request["headers"]["Authorization"] == "Bearer s3cret"
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert sleeps == []


def test_a_busy_provider_is_retried_with_backoff_and_the_same_key():
    sleeps = []
    with Provider([503, 429, 200]) as provider:
        gateway(provider.url, sleeps).send(mobile="13812345678", text="hi", idempotency_key="key-2")

    assert [r["headers"]["Idempotency-Key"] for r in provider.requests] == ["key-2"] * 3
    assert sleeps == [0.5, 1.0]


def test_a_refusal_is_not_retried():
    sleeps = []
    with (
        Provider([400]) as provider,
        pytest.raises(sms.SmsGatewayError, match=r"短信网关拒绝了请求（HTTP 400）"),
    ):
        gateway(provider.url, sleeps).send(mobile="13812345678", text="hi", idempotency_key="key-3")

    assert len(provider.requests) == 1 and sleeps == []


def test_the_gateway_gives_up_after_its_retries():
    sleeps = []
    with Provider([500] * 10) as provider, pytest.raises(sms.SmsGatewayError) as caught:
        gateway(provider.url, sleeps, retries=2).send(
            mobile="13812345678", text="hi", idempotency_key="key-4"
        )

    assert str(caught.value) == "短信网关不可用（HTTP 500），已重试 2 次"
    assert len(provider.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_an_unreachable_gateway_is_retried_then_reported():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = []
    with pytest.raises(sms.SmsGatewayError, match="短信网关不可用"):
        gateway(f"http://127.0.0.1:{port}/", sleeps, retries=1).send(
            mobile="13812345678", text="hi", idempotency_key="key-5"
        )
    assert sleeps == [0.5]


def test_the_http_gateway_needs_its_url(settings):
    settings.SMS_GATEWAY_URL = ""
    with pytest.raises(ImproperlyConfigured):
        sms.HttpGateway()


def test_the_http_gateway_reads_its_settings(settings):
    settings.SMS_GATEWAY = "portal.residents.sms.HttpGateway"
    settings.SMS_GATEWAY_URL = "https://sms.example.invalid/send"
    settings.SMS_GATEWAY_TOKEN = "t"
    settings.SMS_GATEWAY_TIMEOUT = 3.5

    built = sms.get_gateway()

    assert isinstance(built, sms.HttpGateway)
    assert (built.url, built.token, built.timeout) == ("https://sms.example.invalid/send", "t", 3.5)


def test_the_console_gateway_is_the_default_and_masks_the_number(settings):
    assert settings.SMS_GATEWAY == "portal.residents.sms.ConsoleGateway"
    out = io.StringIO()

    sms.ConsoleGateway(stream=out).send(mobile="13812345678", text="验证码 123456", idempotency_key="k")

    assert out.getvalue() == "[短信] 138****5678：验证码 123456\n"
