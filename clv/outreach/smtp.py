"""The `smtp` backend: the personalised outreach email (`clv.outreach.compose`), plain text with
an HTML alternative."""

from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from clv.outreach.compose import RenderedEmail, render_email, time_since
from clv.outreach.message import OutreachMessage, OutreachSendError

SMTP_TIMEOUT_SECONDS = 30.0
__all__ = ["RenderedEmail", "SmtpBackend", "compose_email", "render_reengagement", "time_since"]


def render_reengagement(message: OutreachMessage) -> RenderedEmail:
    """The subject, text and HTML of `message` in the template `clv.outreach.compose` chose
    for it (`render_email`; kept under the name it had when there was one template)."""
    return render_email(message)


def compose_email(message: OutreachMessage, *, sender: str) -> EmailMessage:
    """The complete email for `message`, with Message-ID and List-Unsubscribe headers."""
    if not message.email:
        raise OutreachSendError("the customer has no email address")
    rendered = render_email(message)
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
