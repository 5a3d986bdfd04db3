"""make_backend: the configured backend, or a message naming the missing setting."""

from __future__ import annotations

from typing import Any

import pytest

from clv.outreach import (
    LogBackend,
    OutreachConfigError,
    SmtpBackend,
    WebhookBackend,
    make_backend,
)
from clv.outreach.message import unsubscribe_link
from clv.settings import Settings


def configured(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


SMTP = {
    "outreach_backend": "smtp",
    "smtp_from": "shop@example.com",
    "outreach_unsubscribe_url": "https://shop.example/u/{customer_id}",
}
WEBHOOK = {
    "outreach_backend": "webhook",
    "outreach_webhook_url": "https://hooks.example/clv",
    "outreach_webhook_secret": "s3cret",
}


def test_log_is_the_default() -> None:
    assert isinstance(make_backend(configured()), LogBackend)


def test_complete_settings_build_the_backend() -> None:
    assert isinstance(make_backend(configured(**SMTP)), SmtpBackend)
    assert isinstance(make_backend(configured(**WEBHOOK)), WebhookBackend)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({**SMTP, "smtp_from": ""}, "SMTP_FROM"),
        ({**SMTP, "smtp_host": " "}, "SMTP_HOST"),
        ({**SMTP, "outreach_unsubscribe_url": ""}, "OUTREACH_UNSUBSCRIBE_URL"),
        ({**SMTP, "smtp_user": "mailer"}, "SMTP_PASSWORD"),
        ({**WEBHOOK, "outreach_webhook_url": ""}, "OUTREACH_WEBHOOK_URL"),
        ({**WEBHOOK, "outreach_webhook_url": "ftp://x"}, "OUTREACH_WEBHOOK_URL"),
        ({**WEBHOOK, "outreach_webhook_secret": None}, "OUTREACH_WEBHOOK_SECRET"),
        ({**WEBHOOK, "outreach_webhook_secret": ""}, "OUTREACH_WEBHOOK_SECRET"),
    ],
)
def test_missing_setting_is_named(values: dict[str, Any], named: str) -> None:
    with pytest.raises(OutreachConfigError, match=named):
        make_backend(configured(**values))


def test_backends_do_not_show_their_secrets() -> None:
    smtp = make_backend(configured(**SMTP, smtp_user="mailer", smtp_password="pa55word"))
    webhook = make_backend(configured(**WEBHOOK))
    assert "pa55word" not in repr(smtp)
    assert "s3cret" not in repr(webhook)


def test_unsubscribe_link_is_url_encoded() -> None:
    link = unsubscribe_link(
        "https://s.example/u?e={email}&c={customer_id}", email="a+b@x.com", customer_key="7 / 8"
    )
    assert link == "https://s.example/u?e=a%2Bb%40x.com&c=7%20%2F%208"
    assert unsubscribe_link("", email="a@x.com", customer_key="1") is None
