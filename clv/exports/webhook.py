"""An exported list as one JSON document, POSTed to a CRM endpoint for tools that sync audiences.

The document (UTF-8, compact), version 1:

    {
      "type": "clvbot.audience.export",
      "version": 1,
      "list": {"kind": "dormant", "name": null, "label": "dormant customers"},
      "run": {"run_id": 42, "as_of": "2026-11-29", "model": "bgnbd", "list_week": "2026-11-29",
              "horizon_months": 12},
      "currency": "USD",
      "generated_at": "2026-11-30T09:00:00+00:00",
      "customers": [
        {"id": "4821", "email": "ann@example.com", "name": "Ann Lee",
         "segment": "At Risk", "tier": "Gold", "stage": "dormant",
         "predicted_clv": 123.45, "clv_low": 80.1, "clv_high": 170.0,
         "historical_value": 612.3, "p_alive": 0.1234, "days_since_last_order": 211,
         "value_at_stake": 880.5, "dormant": true, "overdue": false,
         "reason": "P(alive) 0.12 < 0.30", "next_order_on": null,
         "contact": {"status": "contact", "reason": null, "arm": "contact",
                     "list_week": "2026-11-29"}}
      ],
      "count": 1,
      "held_out_left_out": 0
    }

- `list.kind` is dormant | overdue | segment | tier | stage; `name` the group's name (null for
  dormant and overdue). `customers` is the whole list in its order (dormant and overdue by value
  at stake, groups by predicted CLV), `count` its length. Customers held out as the control
  group (`clv.outreach.holdout`) are left out of the document, and counted in
  `held_out_left_out`: an audience synced to a CRM must not reach them (the CSV, for people,
  lists them with the status "held out").
- Amounts are numbers in major units of `currency`, rounded to its decimals (the CSV's values);
  `p_alive` has four decimals; days are ISO dates; an unknown value is null.
- `contact.status` is contact | held out | opted out | cooldown | no email | not at risk (the
  outreach policy's verdict in the list week, `reason` its words); `arm` is contact | holdout
  for customers at risk, else null.

Headers: `X-Clvbot-Signature: sha256=<hex HMAC-SHA256 of the exact body>` under
`EXPORT_WEBHOOK_SECRET` (as the outreach webhook signs); `Idempotency-Key`: the hex SHA-256 of
the list, the run and the customers as written (not `generated_at`), so the same list of the
same run sent again carries the same key and the receiver can drop it. Connection errors,
timeouts, 5xx and 429 are retried with backoff (`clv.outreach.webhook.post_with_retries`).
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from sqlalchemy import Engine

from clv.errors import UserFacingError
from clv.exports.lists import ExportRow, ExportSink, ExportSummary, ListChoice, Tee, export_list
from clv.formatting import major_units
from clv.insights.runs import RunRef
from clv.outreach.message import OutreachSendError
from clv.outreach.policy import OutreachRules
from clv.outreach.webhook import post_with_retries, sign
from clv.scoring.weeks import week_end
from clv.settings import Settings

EVENT_TYPE = "clvbot.audience.export"
VERSION = 1
TIMEOUT_SECONDS = 30.0  # a whole list is one body: more time than one outreach event needs
RETRIES = 3


class ExportSettingError(UserFacingError):
    """A setting the webhook export needs is missing; the message names the variable."""


class ExportDeliveryError(UserFacingError):
    """The endpoint did not take the export; the message names neither the URL nor a secret."""


@dataclass(frozen=True)
class ExportWebhook:
    """Where the export goes and how it is signed (the URL may hold a token: never shown)."""

    url: str = field(repr=False)
    secret: str = field(repr=False)
    timeout: float = TIMEOUT_SECONDS
    retries: int = RETRIES
    backoff_seconds: float = 0.5

    @classmethod
    def of(cls, settings: Settings) -> ExportWebhook:
        secret = settings.export_webhook_secret
        if not settings.export_webhook_url.strip():
            raise ExportSettingError("EXPORT_WEBHOOK_URL is not set: where should the list go?")
        if secret is None or not secret.get_secret_value():
            raise ExportSettingError("EXPORT_WEBHOOK_SECRET is not set: it signs the export")
        return cls(settings.export_webhook_url.strip(), secret.get_secret_value())


def _money(value: float | None, exponent: int) -> float | None:
    return None if value is None else round(value, exponent) + 0.0


def customer_json(row: ExportRow, run: RunRef) -> dict[str, Any]:
    """One customer of the document (see the module docstring)."""
    exponent, contact = run.currency_exponent, row.contact
    return {
        "id": row.customer_id, "email": row.email, "name": row.name,
        "segment": row.segment, "tier": row.tier, "stage": row.stage,
        "predicted_clv": _money(row.predicted_clv, exponent),
        "clv_low": _money(row.clv_low, exponent), "clv_high": _money(row.clv_high, exponent),
        "historical_value": float(major_units(row.historical_value_minor, exponent)),
        "p_alive": None if row.p_alive is None else round(row.p_alive, 4),
        "days_since_last_order": row.days_since_last,
        "value_at_stake": _money(row.value_at_stake, exponent),
        "dormant": row.dormant, "overdue": row.overdue, "reason": row.reason,
        "next_order_on": row.next_order_on.isoformat() if row.next_order_on else None,
        "contact": {"status": contact.status, "reason": contact.reason, "arm": contact.arm,
                    "list_week": contact.list_week.isoformat() if contact.list_week else None},
    }  # fmt: skip


def _dumps(data: object) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class JsonSink:
    """Writes the document to `file` as the rows come (no list of all customers in memory),
    hashing list, run and customers for the idempotency key."""

    def __init__(self, file: IO[str], generated_at: datetime) -> None:
        self._file, self._generated_at = file, generated_at
        self._hash = hashlib.sha256()
        self._run: RunRef | None = None
        self._count = 0
        self._held_out = 0

    @property
    def idempotency_key(self) -> str:
        return self._hash.hexdigest()

    def begin(self, run: RunRef, choice: ListChoice) -> None:
        self._run = run
        head = {
            "type": EVENT_TYPE, "version": VERSION, "list": choice.as_dict(),
            "run": {**run.as_dict(), "list_week": week_end(run.as_of).isoformat(),
                    "horizon_months": run.horizon_months},
            "currency": run.currency, "generated_at": self._generated_at.isoformat(),
        }  # fmt: skip
        text = _dumps(head)
        self._file.write(text[:-1] + ',"customers":[')
        self._hash.update(_dumps([EVENT_TYPE, VERSION, choice.as_dict(), head["run"]]).encode())

    def write(self, rows: Sequence[ExportRow]) -> None:
        run = self._run
        assert run is not None, "begin() comes first"
        for row in rows:
            if row.contact.arm == "holdout":  # the control group never reaches a CRM audience
                self._held_out += 1
                continue
            text = _dumps(customer_json(row, run))
            self._file.write(("," if self._count else "") + text)
            self._hash.update(text.encode() + b"\n")
            self._count += 1

    def finish(self, summary: ExportSummary) -> None:
        self._file.write(f'],"count":{self._count},"held_out_left_out":{self._held_out}}}')


@dataclass(frozen=True)
class SentExport:
    """What the webhook export sent: the list's summary, the document's key and size."""

    summary: ExportSummary
    idempotency_key: str
    size: int  # bytes


def send_export(
    engine: Engine,
    choice: ListChoice,
    webhook: ExportWebhook,
    *,
    rules: OutreachRules,
    now: datetime,
    also: ExportSink | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SentExport:
    """Build the document of `choice` (and write `also`, a file, from the same read), then POST
    it signed. The arms are recorded when the list is built, before the POST (no write
    transaction is held open while the endpoint is retried)."""
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
    sink = JsonSink(text, now)
    summary = export_list(engine, choice, Tee(sink, also) if also else sink, rules=rules, now=now)
    text.flush()
    body = buffer.getvalue()
    post_document(webhook, body, sink.idempotency_key, sleep=sleep)
    return SentExport(summary, sink.idempotency_key, len(body))


def post_document(
    webhook: ExportWebhook, body: bytes, key: str, *, sleep: Callable[[float], None] = time.sleep
) -> None:
    """POST a document, signed; ExportDeliveryError when the endpoint does not take it."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "clvbot-export",
        "X-Clvbot-Signature": sign(body, webhook.secret),
        "Idempotency-Key": key,
    }
    try:
        post_with_retries(webhook.url, body, headers, timeout=webhook.timeout,
                          retries=webhook.retries, backoff_seconds=webhook.backoff_seconds,
                          sleep=sleep, what="export")  # fmt: skip
    except OutreachSendError as exc:
        raise ExportDeliveryError(f"the export webhook did not take the list: {exc}") from exc
