"""The `smtp` backend: a personalised re-engagement email, plain text with an HTML alternative."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from clv.outreach.message import OutreachMessage, OutreachSendError, first_name
from clv.templating import render

TEMPLATES = "outreach/reengagement"
SMTP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def time_since(days: int | None) -> str:
    """How long ago a last order was, in words: "3 weeks", "about 5 months", "over a year"."""
    if days is None:
        return "a while"
    if days < 14:
        return "a few days" if days < 7 else "a week or so"
    if days < 60:
        return f"{days // 7} weeks"
    if days < 365:
        return f"about {round(days / 30.44)} months"
    years = days // 365
    return "over a year" if years == 1 else f"over {years} years"


def render_reengagement(message: OutreachMessage) -> RenderedEmail:
    """The subject, text and HTML of the re-engagement email (pure: no I/O).

    The greeting uses the customer's first name when it is known (`first_name`), else none
    ("Hi,"); the shop's link (SHOP_URL) is in both parts, or nowhere when it is not set.
    """
    context = {
        "first_name": first_name(message.name),
        "shop_name": message.shop_name,
        "shop_url": message.shop_url,
        "since": time_since(message.days_since_last_order),
        "has_ordered": message.last_order_on is not None,
        "unsubscribe_url": message.unsubscribe_url,
    }
    subject = " ".join(render(f"{TEMPLATES}_subject.txt.j2", **context).split())
    return RenderedEmail(
        subject=subject,
        text=render(f"{TEMPLATES}.txt.j2", **context),
        html=render(f"{TEMPLATES}.html.j2", **context),
    )


def compose_email(message: OutreachMessage, *, sender: str) -> EmailMessage:
    """The complete email for `message`, with Message-ID and List-Unsubscribe headers."""
    if not message.email:
        raise OutreachSendError("the customer has no email address")
    rendered = render_reengagement(message)
    email = EmailMessage()
    email["Subject"] = rendered.subject
    email["From"] = sender
    # an Address, not a formatted string: a name like `<b>Zoë & Co</b>` must stay a name
    email["To"] = Address(display_name=(message.name or "").strip(), addr_spec=message.email)
    email["Date"] = format_datetime(message.requested_at)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    email["Message-ID"] = make_msgid(idstring=f"outreach{message.outreach_id}", domain=domain)
    if message.unsubscribe_url:
        email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        if message.unsubscribe_url.startswith("https://"):
            # RFC 8058 one-click unsubscribe (required by the large mailbox providers)
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(rendered.text)
    email.add_alternative(rendered.html, subtype="html")
    return email


class SmtpBackend:
    """Sends through an SMTP server: STARTTLS when asked, implicit TLS on port 465."""

    name = "smtp"
    needs_email = True

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        user: str = "",
        password: str = "",
        starttls: bool = True,
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self._password = user, password
        self.starttls, self.timeout = starttls, timeout

    def __repr__(self) -> str:  # never the password
        return f"SmtpBackend(host={self.host!r}, port={self.port}, user={self.user!r})"

    def send(self, message: OutreachMessage) -> str:
        email = compose_email(message, sender=self.sender)
        try:
            with self._connect() as smtp:
                if self.user:
                    smtp.login(self.user, self._password)
                smtp.send_message(email)
        except smtplib.SMTPAuthenticationError as exc:
            raise OutreachSendError(
                f"SMTP login as {self.user!r} refused ({exc.smtp_code})"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise OutreachSendError(f"SMTP server refused the email: {_reply(exc)}") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise OutreachSendError(
                f"SMTP server {self.host}:{self.port} does not offer STARTTLS "
                "(SMTP_STARTTLS=false only for a trusted local relay)"
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise OutreachSendError("SMTP server refused the recipient address") from exc
        except (smtplib.SMTPException, OSError) as exc:
            where = f"{self.host}:{self.port}"
            raise OutreachSendError(f"SMTP server {where} unreachable: {_brief(exc)}") from exc
        return str(email["Message-ID"])

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.port == 465:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            try:
                smtp.starttls(context=context)
            except BaseException:
                smtp.close()
                raise
        return smtp


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else ""
    return f"{exc.smtp_code} {text}".strip()[:200]


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]
