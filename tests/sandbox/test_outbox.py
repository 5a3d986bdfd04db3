"""The sandbox's SMTP server: what outreach sends lands in the Outbox."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from bot.sandbox import Outbox, Workspace


def test_mail_sent_over_smtp_shows_in_the_outbox() -> None:
    workspace = Workspace()
    outbox = Outbox(workspace).start()
    try:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = (
            "shop@example.com",
            "ada@example.com",
            "We miss you",
        )
        mail.set_content("Hi Ada,\nhere is 10 % off.")
        mail.add_alternative("<p>Hi Ada, here is 10 % off.</p>", subtype="html")
        with smtplib.SMTP("127.0.0.1", outbox.port, timeout=5) as smtp:
            smtp.send_message(mail)
    finally:
        outbox.stop()
    (received,) = workspace.outbox
    assert (received.sender, received.to, received.subject) == (
        "shop@example.com", ["ada@example.com"], "We miss you")  # fmt: skip
    assert received.text == "Hi Ada,\nhere is 10 % off.\n"
    assert workspace.snapshot()["outbox"][0]["subject"] == "We miss you"
    assert workspace.activity[-1]["kind"] == "smtp"
