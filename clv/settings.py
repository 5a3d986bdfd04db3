"""clvbot's settings: one pydantic-settings class, read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clv.segments.acquisition import DEFAULT_CLV_CAC_TARGET, DEFAULT_NPS_MIN_RESPONSES
from clv.segments.alerts import ALL_RULES, RULES, tier_names
from clv.segments.predictions import (
    DEFAULT_INTERVAL,
    DEFAULT_MIN_CUSTOMERS,
    DEFAULT_MIN_HISTORY_DAYS,
    DEFAULT_MIN_REPEAT_BUYERS,
    PredictionFloor,
)

# ISO 4217 minor-unit exponents for currencies that do not use two decimals.
_MINOR_UNIT_EXPONENTS = {
    "BHD": 3, "CLP": 0, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3,
    "OMR": 3, "PYG": 0, "TND": 3, "UGX": 0, "VND": 0, "XAF": 0, "XOF": 0,
}  # fmt: skip


def minor_unit_exponent(currency: str) -> int:
    """Number of decimals of the currency's minor unit (2 for USD, 0 for JPY, 3 for KWD)."""
    return _MINOR_UNIT_EXPONENTS.get(currency.upper(), 2)


def to_id_set(value: str) -> frozenset[str]:
    """A comma-separated list of Slack ids (SLACK_ALLOWED_USERS and the like) as a set."""
    return frozenset(part.strip() for part in value.split(",") if part.strip())


class Settings(BaseSettings):
    """Every setting clvbot reads. `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default="sqlite:///clvbot.db")
    timezone: str = Field(default="UTC")
    currency: str = Field(default="USD", min_length=3, max_length=3)
    gross_margin: float = Field(default=1.0, gt=0.0, le=1.0)

    # auto: fit the three purchase models and use the one that predicts the holdout best
    clv_model: Literal["auto", "bgnbd", "mbgnbd", "pnbd"] = "auto"
    clv_interval: float = Field(default=DEFAULT_INTERVAL, ge=0.5, le=0.99)
    # below any of these floors a run stores historical and formula values, no predictions
    predict_min_customers: int = Field(default=DEFAULT_MIN_CUSTOMERS, ge=1)
    predict_min_history_days: int = Field(default=DEFAULT_MIN_HISTORY_DAYS, ge=0)
    predict_min_repeat_buyers: int = Field(default=DEFAULT_MIN_REPEAT_BUYERS, ge=1)
    clv_horizon_months: int = Field(default=12, ge=1, le=120)
    clv_annual_discount_rate: float = Field(default=0.10, ge=0.0, lt=1.0)
    clv_lifespan_years: float | None = Field(default=None, gt=0.0, le=50.0)
    dormant_p_alive: float = Field(default=0.3, gt=0.0, lt=1.0)
    dormant_max_days: int = Field(default=180, ge=1)
    history_weeks: int = Field(default=13, ge=2, le=520)
    # acquisition: the CLV:CAC a channel should reach, and the answers an NPS needs
    clv_cac_target: float = Field(default=DEFAULT_CLV_CAC_TARGET, gt=1.0, le=100.0)
    nps_min_responses: int = Field(default=DEFAULT_NPS_MIN_RESPONSES, ge=1, le=100_000)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_allowed_users: str = ""  # comma-separated user ids; empty: everyone
    slack_allowed_channels: str = ""  # comma-separated channel ids; empty: everywhere
    slack_answer_in_ack: bool = True  # False: ack empty, answer through response_url
    port: int = Field(default=3000, ge=1, le=65535)
    # how long the bot's handlers wait on the store (connecting, a statement, a lock) before
    # answering "the store is not answering": inside Slack's 3-second acknowledgement
    store_timeout_seconds: float = Field(default=2.0, gt=0.0, le=2.5)

    # the weekly digest and the scheduler (cron expressions in TIMEZONE)
    digest_channel: str = ""  # channel id (C...) or name; empty: no scheduled digest
    digest_cron: str = "0 9 * * mon"
    score_cron: str = "0 2 * * *"
    # the nightly sync of orders (clv.ingest.sync): a SQL URL (with SYNC_QUERY) or a file glob
    sync_source: SecretStr | None = None  # a URL may hold a password: never shown
    sync_query: str | None = None
    sync_format: str = "auto"
    sync_cron: str = "0 2 * * *"
    sync_overlap_hours: int = Field(default=48, ge=0, le=24 * 90)
    digest_dormant_limit: int = Field(default=10, ge=1, le=20)
    scheduler_misfire_grace_seconds: int = Field(default=6 * 3600, ge=1)

    # one-click outreach to dormant customers
    slack_outreach_users: str = ""  # comma-separated user ids; empty: anyone who sees the button
    outreach_backend: Literal["log", "smtp", "webhook"] = "log"
    outreach_cooldown_days: int = Field(default=30, ge=1, le=3650)  # >= 1: double clicks
    outreach_unsubscribe_url: str = ""  # `{email}` and `{customer_id}` are filled in
    shop_name: str = "our shop"
    shop_url: str = ""  # the shop's address, linked from the outreach email; empty: no link
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_from: str = ""
    outreach_webhook_url: str = ""
    outreach_webhook_secret: SecretStr | None = None
    outreach_webhook_timeout_seconds: float = Field(default=5.0, gt=0.0, le=60.0)
    outreach_webhook_retries: int = Field(default=3, ge=0, le=10)
    # the control group: the share of each re-engagement list held out, and the hash's seed
    outreach_holdout_share: float = Field(default=0.10, ge=0.0, le=0.5)
    outreach_holdout_seed: str = Field(default="clvbot", min_length=1, max_length=64)
    # the message: an offer code (one for all, or per tier: "Platinum=VIP20,Gold=GOLD10")
    # and the UTM parameters of the SHOP_URL link
    outreach_offer_code: str = ""
    outreach_utm_source: str = "clvbot"
    outreach_utm_medium: str = "email"
    outreach_utm_campaign: str = "reengagement"

    # alerts after each scoring run, posted once each to ALERTS_CHANNEL (empty: no alerts)
    alerts_channel: str = ""
    alert_rules: str = ALL_RULES  # comma-separated rule names; see clv.alerts.rules
    alert_tiers: str = "Platinum,Gold"  # the tiers whose customers are VIPs
    alert_equity_drop: float = Field(default=0.05, gt=0.0, lt=1.0)  # week over week
    alert_drift_runs: int = Field(default=8, ge=3, le=52)  # the runs that make the usual band
    slack_alert_users: str = ""  # who may mute a rule; empty: anyone who may use /clv

    # the URL shapes of the shop's tools whose links name a customer (clv.links), e.g.
    # "https://admin.shopify.com/store/*/customers/{id}"; empty: no link names a customer
    unfurl_patterns: str = ""
    # unfurl in Slack Connect channels too, where people of other organisations see the card
    unfurl_shared_channels: bool = False

    # App Home: names and email addresses shown on a user's own home tab (default masked), and
    # how recently a user must have opened it for a scoring run to rebuild it
    app_home_personal_data: bool = False
    app_home_refresh_days: int = Field(default=14, ge=1, le=365)

    # who may add or remove a channel's digest subscription (/clv subscribe); empty: nobody
    slack_admin_users: str = ""

    # lists to take elsewhere: who may export, and the CRM endpoint of the webhook export
    slack_export_users: str = ""  # comma-separated user ids; empty: nobody exports from Slack
    export_webhook_url: str = ""
    export_webhook_secret: SecretStr | None = None

    def is_allowed_user(self, user_id: str | None) -> bool:
        """SLACK_ALLOWED_USERS (empty: everyone): who may use clvbot at all, in any surface."""
        users = to_id_set(self.slack_allowed_users)
        return not users or user_id in users

    @property
    def prediction_floor(self) -> PredictionFloor:
        return PredictionFloor(
            self.predict_min_customers, self.predict_min_history_days,
            self.predict_min_repeat_buyers,
        )  # fmt: skip

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as UTC or Europe/Berlin)"
            ) from exc
        return value

    @field_validator("currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        if not value.isalpha():
            raise ValueError(f"currency must be an ISO 4217 code such as USD, not {value!r}")
        return value.upper()

    @field_validator("shop_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        plain = value.isprintable() and not any(c.isspace() for c in value)
        if value and not (parts.scheme in ("https", "http") and parts.netloc and plain):
            raise ValueError(
                f"{value!r} is not a web address: use one such as https://shop.example.com, "
                "or leave it empty for no link"
            )
        return value

    @field_validator("outreach_offer_code")
    @classmethod
    def _offer_codes(cls, value: str) -> str:
        """One code for everyone, or `Tier=CODE` pairs (clv.outreach.offers), written back
        the canonical way."""
        from clv.outreach.offers import parse_offer_codes

        try:
            return parse_offer_codes(value).setting
        except ValueError as exc:
            raise ValueError(f"OUTREACH_OFFER_CODE: {exc}") from None

    @field_validator("sync_source", "sync_query", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`SYNC_SOURCE=` in .env (as .env.example writes it) means no sync."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("sync_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value == "auto":
            return value  # the default: no need to import the importer to check it
        from clv.ingest.formats import FORMAT_NAMES

        if value not in FORMAT_NAMES:
            raise ValueError(f"{value!r} is not a format: use one of {', '.join(FORMAT_NAMES)}")
        return value

    @field_validator("unfurl_patterns")
    @classmethod
    def _valid_patterns(cls, value: str) -> str:
        from clv.links import parse_patterns

        parse_patterns(value)  # raises naming the pattern that is wrong
        return value.strip()

    @field_validator("alert_rules")
    @classmethod
    def _known_rules(cls, value: str) -> str:
        names = [part.strip() for part in value.split(",") if part.strip()]
        unknown = [name for name in names if name not in RULES]
        if unknown:
            raise ValueError(
                f"unknown alert rule {unknown[0]!r}: use any of {', '.join(RULES)}, comma-separated"
            )
        return ",".join(names)

    @field_validator("alert_tiers")
    @classmethod
    def _known_tiers(cls, value: str) -> str:
        return ",".join(tier_names(value))

    @field_validator("digest_cron", "score_cron", "sync_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        fields = value.split()
        if len(fields) != 5:
            raise ValueError(
                f"{value!r} is not a cron expression: use five fields, "
                "minute hour day month day-of-week, such as '0 9 * * mon'"
            )
        return value

    @property
    def monthly_discount_rate(self) -> float:
        """The monthly rate equivalent to `clv_annual_discount_rate`."""
        return float((1.0 + self.clv_annual_discount_rate) ** (1.0 / 12.0) - 1.0)

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def currency_exponent(self) -> int:
        """Number of decimals of the currency's minor unit (2 for USD, 0 for JPY)."""
        return minor_unit_exponent(self.currency)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
