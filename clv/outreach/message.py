"""What a backend needs to reach one customer, and what every backend looks like."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol
from urllib.parse import quote

# the email templates (templates/outreach/<name>.*); which one a customer gets: clv.outreach.compose
TemplateName = Literal["vip", "nudge", "winback", "reengagement"]


class OutreachConfigError(ValueError):
    """A backend's settings are missing or wrong; the message names the variable."""


class OutreachSendError(RuntimeError):
    """A backend could not deliver; the message is safe to store and show (no secrets)."""


@dataclass(frozen=True)
class OutreachMessage:
    """One re-engagement message, as the service hands it to a backend (built by
    `clv.outreach.compose.compose_message`; the defaults keep older constructors working)."""

    outreach_id: int
    customer_id: int
    customer_key: str  # the shop's own customer id (customers.external_id)
    name: str | None
    email: str | None
    last_order_on: date | None
    days_since_last_order: int | None
    shop_name: str
    unsubscribe_url: str | None
    requested_by: str
    source: str | None
    requested_at: datetime
    shop_url: str | None = None  # the link back to the shop (SHOP_URL + UTM); None: no link
    tier: str | None = None  # CLV tier in the current scores
    segment: str | None = None  # RFM segment in the current scores
    dormant: bool = False
    overdue: bool = False
    offer_code: str | None = None  # the tier's OUTREACH_OFFER_CODE; None: no offer
    template: TemplateName = "reengagement"


class OutreachBackend(Protocol):
    """Delivers one message and returns its message id; raises on failure."""

    @property
    def name(self) -> str: ...

    @property
    def needs_email(self) -> bool:
        """True when a customer without an email address cannot be reached."""
        ...

    def send(self, message: OutreachMessage) -> str: ...


# a name that begins with one of these is a title and a surname ("Ms Smith"), not a first name
TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lady", "lord", "rev", "fr",
    "madam", "mme", "mlle", "herr", "frau", "sr", "sra", "srta",
})  # fmt: skip


def first_name(name: str | None) -> str | None:
    """The name to greet a customer by: the first word of their name, or None for a neutral
    greeting.

    None when the name is empty; when its first word is a title (`Ms Smith`, `Dr. Jones`) or an
    initial (`J. Smith`, `J Smith`); or when that word is not plainly a name: anything but
    letters, apostrophes and hyphens (`Smith,` of `Smith, Chloe`, an email address, digits,
    markup). A greeting by the wrong word is worse than no name at all.
    """
    words = (name or "").split()
    if not words:
        return None
    word = words[0]
    letters = word.replace("'", "").replace("’", "").replace("-", "")
    if len(letters) < 2 or not letters.isalpha() or word.lower() in TITLES:
        return None
    return word


def unsubscribe_link(template: str, *, email: str | None, customer_key: str) -> str | None:
    """`OUTREACH_UNSUBSCRIBE_URL` with `{email}` and `{customer_id}` filled in, URL-encoded."""
    if not template:
        return None
    return template.replace("{email}", quote(email or "", safe="")).replace(
        "{customer_id}", quote(customer_key, safe="")
    )
