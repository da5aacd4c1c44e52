"""Sending text messages: a gateway interface, the console gateway (default), the HTTP gateway (production).

``SMS_GATEWAY`` names the class; ``get_gateway()`` builds it. A gateway raises ``SmsGatewayError`` when the
message could not be handed over.
"""

import json
import logging
import sys
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from portal.residents.masking import mask_mobile

logger = logging.getLogger(__name__)

# Answers worth another try: the gateway is busy or briefly down. Anything else 4xx is final.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class SmsGatewayError(Exception):
    """The message was not accepted by the gateway."""


class Gateway(ABC):
    @abstractmethod
    def send(self, *, mobile: str, text: str, idempotency_key: str) -> None:
        """Hand one message over; the same idempotency key never sends twice."""


class ConsoleGateway(Gateway):
    """Development: the message is printed on standard output instead of sent."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, *, mobile: str, text: str, idempotency_key: str) -> None:
        self.stream.write(f"[短信] {mask_mobile(mobile)}：{text}\n")
        self.stream.flush()


# What LocmemGateway "sent", like django.core.mail.outbox: (mobile, text, idempotency key).
outbox: list[tuple[str, str, str]] = []


class LocmemGateway(Gateway):
    """Tests: messages are kept in ``outbox``."""

    def send(self, *, mobile: str, text: str, idempotency_key: str) -> None:
        outbox.append((mobile, text, idempotency_key))


class HttpGateway(Gateway):
    """Production: POST a JSON message to the SMS provider's endpoint, retrying with exponential backoff.

    The ``Idempotency-Key`` header is the same on every retry: a lost answer retried sends no second SMS.
    """

    def __init__(
        self, *, url=None, token=None, timeout=None, retries: int = 3, backoff: float = 0.5, sleep=time.sleep
    ):
        self.url = url if url is not None else settings.SMS_GATEWAY_URL
        if not self.url:
            raise ImproperlyConfigured("SMS_GATEWAY_URL must be set to use the HTTP SMS gateway.")
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        self.timeout = timeout if timeout is not None else settings.SMS_GATEWAY_TIMEOUT
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep

    def _request(self, body: bytes, idempotency_key: str) -> urllib.request.Request:
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310

    def send(self, *, mobile: str, text: str, idempotency_key: str) -> None:
        body = json.dumps({"mobile": mobile, "text": text}, ensure_ascii=False).encode()
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                with urllib.request.urlopen(self._request(body, idempotency_key), timeout=self.timeout):  # noqa: S310
                    logger.info("SMS accepted for %s (attempt %d)", mask_mobile(mobile), attempt + 1)
                    return
            except urllib.error.HTTPError as exc:
                if exc.code not in RETRY_STATUSES:
                    raise SmsGatewayError(f"短信网关拒绝了请求（HTTP {exc.code}）") from exc
                problem = f"HTTP {exc.code}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                problem = str(getattr(exc, "reason", exc))
            logger.warning("SMS to %s failed (attempt %d): %s", mask_mobile(mobile), attempt + 1, problem)
        raise SmsGatewayError(f"短信网关不可用（{problem}），已重试 {self.retries} 次")


def get_gateway() -> Gateway:
    """The configured gateway (``SMS_GATEWAY``)."""
    return import_string(settings.SMS_GATEWAY)()
