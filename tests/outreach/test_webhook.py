"""The webhook backend against a real HTTP server: signature, retries, timeouts."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from clv.outreach import WebhookBackend, request_outreach
from clv.settings import Settings
from clv.store.tables import outreach_contacts_table, outreach_table
from tests.outreach.conftest import NOW, WebhookReceiver, add_customer, days_ago, sqlite_only

SECRET = "whsec-0123456789"


def webhook_settings(settings: Settings, url: str, **changes: object) -> Settings:
    update = {
        "outreach_backend": "webhook",
        "outreach_webhook_url": url,
        "outreach_webhook_secret": SecretStr(SECRET),
        "outreach_webhook_retries": 2,
        "outreach_webhook_timeout_seconds": 2.0,
        "outreach_unsubscribe_url": "https://shop.example/u?c={customer_id}",
        **changes,
    }
    return settings.model_copy(update=update)


def test_webhook_event_is_signed_and_a_500_is_retried_with_the_same_key(
    engine: Engine, settings: Settings, webhook: WebhookReceiver
) -> None:
    settings = webhook_settings(settings, webhook.url)
    customer = add_customer(engine, "C1", name="Ann", last_order=days_ago(90))
    webhook.script = [500]

    result = request_outreach(
        engine, settings, customer_id=customer, requested_by="U1", source="digest:C1:2024-06-02",
        now=NOW,
    )  # fmt: skip

    assert result.status == "sent"
    assert len(webhook.requests) == 2
    (first_headers, first_body), (headers, body) = webhook.requests
    assert body == first_body
    assert headers["idempotency-key"] == first_headers["idempotency-key"] == str(result.outreach_id)
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-clvbot-signature"] == f"sha256={expected}"
    assert headers["content-type"] == "application/json"
    event = json.loads(body)
    message = event.pop("message")  # the email clvbot would send, as the modal shows it
    assert (message["template"], message["subject"]) == (
        "reengagement", "Ann, we've missed you at our shop"
    )  # fmt: skip
    assert message["text"].startswith("Hi Ann,\n")
    assert (message["offer_code"], message["shop_link"]) == (None, None)
    assert (message["tier"], message["segment"]) == (None, "Hibernating")
    assert event == {
        "type": "clvbot.outreach.requested",
        "outreach_id": result.outreach_id,
        "customer": {
            "id": "C1",
            "email": "c1@example.com",
            "name": "Ann",
            "last_order_on": "2024-03-04",
            "days_since_last_order": 90,
            "unsubscribe_url": "https://shop.example/u?c=C1",
        },
        "requested_by": "U1",
        "source": "digest:C1:2024-06-02",
        "requested_at": "2024-06-02T10:00:00+00:00",
        "shop_name": "our shop",
    }


@sqlite_only
def test_webhook_client_error_is_not_retried(
    engine: Engine, settings: Settings, webhook: WebhookReceiver
) -> None:
    customer = add_customer(engine, "C1")
    webhook.script = [422]

    result = request_outreach(
        engine, webhook_settings(settings, webhook.url), customer_id=customer,
        requested_by="U1", now=NOW,
    )  # fmt: skip

    assert (result.status, result.reason) == (
        "failed", "sending failed: webhook refused the event: HTTP 422"
    )  # fmt: skip
    assert len(webhook.requests) == 1


def test_slow_webhook_times_out_and_fails_without_leaking_secrets(
    engine: Engine,
    settings: Settings,
    webhook: WebhookReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = webhook_settings(settings, webhook.url)
    customer = add_customer(engine, "C1")
    webhook.script = [1.0, 1.0]
    backend = WebhookBackend(
        url=webhook.url, secret=SECRET, timeout=0.2, retries=1, backoff_seconds=0.01
    )

    with caplog.at_level(logging.DEBUG):
        result = request_outreach(
            engine, settings, customer_id=customer, requested_by="U1", now=NOW, backend=backend
        )

    assert result.status == "failed"
    assert (
        result.reason == "sending failed: webhook failed after 2 attempts: no answer within 0.2 s"
    )
    assert len(webhook.requests) == 2
    with engine.connect() as connection:
        row = connection.execute(select(outreach_table)).one()
        assert connection.execute(select(outreach_contacts_table)).all() == []
    assert (row.status, row.backend) == ("failed", "webhook")
    for text in (caplog.text, row.reason, repr(backend)):
        assert SECRET not in text
        assert "t0k3n" not in text


@sqlite_only
def test_unreachable_webhook_fails_after_its_retries(engine: Engine, settings: Settings) -> None:
    customer = add_customer(engine, "C1")
    backend = WebhookBackend(
        url="http://127.0.0.1:9/x", secret=SECRET, timeout=0.5, retries=2, backoff_seconds=0.01
    )

    result = request_outreach(
        engine, settings, customer_id=customer, requested_by="U1", now=NOW, backend=backend
    )

    assert result.status == "failed"
    assert result.reason == (
        "sending failed: webhook failed after 3 attempts: "
        "connection failed (ConnectionRefusedError)"
    )
