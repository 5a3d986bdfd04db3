"""The webhook export against a real HTTP server: the signed JSON list, its idempotency key,
retries, refusals and the settings it needs."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from clv.csvsafe import restore
from clv.exports import parse_list
from clv.exports.csv import HEADER, CsvSink
from clv.exports.webhook import (
    EVENT_TYPE,
    ExportDeliveryError,
    ExportSettingError,
    ExportWebhook,
    send_export,
)
from clv.settings import Settings
from tests.exports.conftest import HOSTILE, NOW, RULES, Receiver

SECRET = "whsec-export-0123456789"
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def target(receiver: Receiver, **changes: Any) -> ExportWebhook:
    return ExportWebhook(receiver.url, SECRET, **{"retries": 2, "backoff_seconds": 0.01, **changes})


def test_the_crm_receives_the_signed_list_and_a_500_is_retried_with_the_same_key(
    shop: Engine, receiver: Receiver
) -> None:
    receiver.script = [500]
    file = io.StringIO(newline="")

    sent = send_export(shop, parse_list("dormant"), target(receiver), rules=RULES, now=NOW,
                       also=CsvSink(file))  # fmt: skip

    (first_headers, first_body), (headers, body) = receiver.requests
    assert body == first_body
    assert headers["idempotency-key"] == first_headers["idempotency-key"] == sent.idempotency_key
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-clvbot-signature"] == f"sha256={expected}"
    assert headers["content-type"] == "application/json"
    assert sent.size == len(body)
    document = json.loads(body)
    assert {k: v for k, v in document.items() if k != "customers"} == {
        "type": EVENT_TYPE,
        "version": 1,
        "list": {"kind": "dormant", "name": None, "label": "dormant customers"},
        "run": {"run_id": sent.summary.run.run_id, "as_of": "2024-06-30", "model": "mbgnbd",
                "list_week": "2024-06-30", "horizon_months": 12},
        "currency": "USD",
        "generated_at": "2024-07-01T09:00:00+00:00",
        "count": len(document["customers"]),
        "held_out_left_out": dict(sent.summary.arms).get("holdout", 0),
    }  # fmt: skip
    customers = document["customers"]
    assert document["held_out_left_out"] > 0  # the control group never reaches the CRM
    assert len(customers) + document["held_out_left_out"] == sent.summary.rows
    assert all(c["contact"]["arm"] != "holdout" for c in customers)
    by_id = {c["id"]: c for c in customers}
    for key, email, name in HOSTILE:  # JSON carries values as they are: no spreadsheet here
        if key in by_id:
            assert (by_id[key]["email"], by_id[key]["name"]) == (email, name)
    assert by_id["-h5"]["historical_value"] == -20.0
    # the same list as the CSV written from the same read
    rows = [dict(zip(HEADER, map(restore, line), strict=True))
            for line in list(csv.reader(io.StringIO(file.getvalue())))[1:]]  # fmt: skip
    assert {r["contact_status"] for r in rows if r["arm"] == "holdout"} == {"held out"}
    rows = [r for r in rows if r["arm"] != "holdout"]  # the CSV lists the held out, for people
    assert [r["customer_id"] for r in rows] == [c["id"] for c in customers]
    assert [r["value_at_stake"] for r in rows] == [f"{c['value_at_stake']:.2f}" for c in customers]
    assert [r["contact_status"] for r in rows] == [c["contact"]["status"] for c in customers]


@sqlite_only
def test_the_key_is_of_list_run_and_content_not_of_the_time_sent(
    shop: Engine, receiver: Receiver
) -> None:
    webhook = target(receiver)
    first = send_export(shop, parse_list("dormant"), webhook, rules=RULES, now=NOW)
    later = NOW + timedelta(hours=1)
    again = send_export(shop, parse_list("dormant"), webhook, rules=RULES, now=later)
    other = send_export(shop, parse_list("segment champions"), webhook, rules=RULES, now=NOW)

    assert first.idempotency_key == again.idempotency_key != other.idempotency_key
    assert receiver.requests[0][1] != receiver.requests[1][1]  # generated_at differs
    assert len({h["idempotency-key"] for h, _ in receiver.requests}) == 2


@sqlite_only
def test_a_refusal_is_final_and_names_neither_url_nor_secret(
    shop: Engine, receiver: Receiver
) -> None:
    receiver.script = [422]
    webhook = target(receiver)

    with pytest.raises(ExportDeliveryError) as failure:
        send_export(shop, parse_list("dormant"), webhook, rules=RULES, now=NOW)

    assert str(failure.value) == (
        "the export webhook did not take the list: webhook refused the export: HTTP 422"
    )
    assert len(receiver.requests) == 1
    for text in (str(failure.value), repr(webhook)):
        assert SECRET not in text
        assert "t0k3n" not in text


@sqlite_only
def test_an_unreachable_endpoint_fails_after_its_retries(shop: Engine) -> None:
    webhook = ExportWebhook("http://127.0.0.1:9/x", SECRET, retries=1, backoff_seconds=0.01)
    with pytest.raises(ExportDeliveryError, match="after 2 attempts: connection failed"):
        send_export(shop, parse_list("overdue"), webhook, rules=RULES, now=NOW)


@sqlite_only
def test_missing_settings_name_the_variable(settings: Settings) -> None:
    with pytest.raises(ExportSettingError, match="EXPORT_WEBHOOK_URL is not set"):
        ExportWebhook.of(settings)
    with_url = settings.model_copy(update={"export_webhook_url": "https://crm.example/h"})
    with pytest.raises(ExportSettingError, match="EXPORT_WEBHOOK_SECRET is not set"):
        ExportWebhook.of(with_url)
    ready = with_url.model_copy(update={"export_webhook_secret": SecretStr(SECRET)})
    webhook = ExportWebhook.of(ready)
    assert (webhook.url, webhook.secret) == ("https://crm.example/h", SECRET)
