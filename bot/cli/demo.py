"""`clvbot demo`: the whole bot on a realistic shop, with a local Slack sandbox in the browser.

A fresh SQLite store is filled with a synthetic shop (`clv.datasets.shop`) through the real
importers and scored; then the real bolt app (HTTP), the scheduler and the sandbox run in this
process, all on 127.0.0.1. The bot is configured exactly as in production, only with
SLACK_API_URL pointing at the sandbox and outreach mail going to the sandbox's SMTP server.

The sandbox is demo code, installed with the `demo` extra (aiosmtpd): it is imported only when
the demo starts, so `clvbot --help` and `clvbot serve` never load it. The demo's store is
claimed before it is rebuilt and held until the demo stops (`clv.store.inuse`): a walkthrough
or a second demo on the same file is refused instead of deleting it under the running bot.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from sqlalchemy import Engine

from bot.cli.context import fail, out, user_errors
from bot.cli.scheduler import start_jobs
from bot.cli.stopping import stop_on_sigterm
from bot.logs import configure_logging
from bot.slack.app import build_app
from bot.slack.deps import Deps, bot_engine
from bot.slack.server import EVENTS_PATH, build_asgi
from clv.datasets import generate_shop, write_shop_csvs
from clv.formatting import money
from clv.ingest import import_customers, import_orders
from clv.insights import top_customers
from clv.links import parse_patterns
from clv.scoring.pipeline import score
from clv.settings import Settings
from clv.store import make_engine, read_snapshot
from clv.store import upgrade as upgrade_schema
from clv.store.inuse import StoreClaim, StoreInUseError, claim_for_rebuild
from reports.digest.data import build_digest
from reports.digest.render import render_text
from reports.jobs import JobContext, run_alerts, run_digest

if TYPE_CHECKING:
    from bot.sandbox import Workspace

DEMO_DATABASE = Path("clvbot-demo.db")  # `clvbot walkthrough` has its own file
# the demo shop's admin: a customer's page there unfurls into their card (UNFURL_PATTERNS)
DEMO_ADMIN = "https://admin.shopify.com/store/demo-shop/customers/"
DEMO_UNFURL_PATTERN = DEMO_ADMIN + "{id}"
DEMO_EXTRA_MISSING = (
    "clvbot demo needs the demo extra (the sandbox's local SMTP outbox): pip install 'clvbot[demo]'"
)
SMTP_FROM = "shop@example.com"
log = logging.getLogger("clvbot.demo")


@dataclass
class RunningDemo:
    url: str
    settings: Settings
    engine: Engine
    workspace: Workspace
    stops: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        """Stop everything that was started, newest first; one failure does not stop the rest."""
        while self.stops:
            try:
                self.stops.pop()()
            except Exception:
                log.exception("stopping the demo")


# --- call sites for the jobs being built in reports/ (issue 7: wire them here) -----------------
def _digest_hook(engine: Engine, settings: Settings) -> Callable[[str], str] | None:
    """The sandbox's "Post this week's digest now": the real weekly digest job, run now."""
    context = JobContext(engine, settings)

    def post_now(channel: str) -> str:
        if channel != settings.digest_channel:
            return f"The digest goes to its own channel (DIGEST_CHANNEL={settings.digest_channel})."
        outcome = run_digest(context)
        return outcome.detail if outcome is not None else "DIGEST_CHANNEL is not set."

    return post_now


def _start_scheduler(engine: Engine, settings: Settings) -> Callable[[], None] | None:
    """The real scheduler (nightly re-score, weekly digest), as `clvbot serve` runs it."""
    return start_jobs(engine, settings)


# ------------------------------------------------------------------------------------------------
def require_demo_extra() -> None:
    """Exit naming the extra that installs the sandbox when its dependencies are missing."""
    try:
        import bot.sandbox  # noqa: F401
    except ModuleNotFoundError as exc:
        if exc.name != "aiosmtpd":
            raise
        fail(escape(DEMO_EXTRA_MISSING))  # `[demo]` is not markup


def demo_settings(database: Path, sandbox_url: str, smtp_port: int) -> Settings:
    """Production settings but local: the sandbox as Slack, its SMTP server as the mail relay.

    Everything Slack- and outreach-related is set here, so a developer's environment (a real
    token, an allow-list) cannot leak into the demo.
    """
    from bot.sandbox import ALERTS_CHANNEL, DIGEST_CHANNEL
    from bot.sandbox.workspace import USER_ID

    values: dict[str, Any] = {
        "database_url": f"sqlite:///{database}",
        "slack_bot_token": "xoxb-sandbox-" + secrets.token_hex(12),
        "slack_signing_secret": secrets.token_hex(16),
        "slack_app_token": None,
        "slack_api_url": f"{sandbox_url}/api/",
        "slack_allowed_users": "",
        "slack_allowed_channels": "",
        "slack_outreach_users": "",
        "digest_channel": DIGEST_CHANNEL,
        "alerts_channel": ALERTS_CHANNEL,
        "slack_alert_users": "",
        "slack_export_users": USER_ID,  # the sandbox's user may export (into a DM)
        "slack_admin_users": USER_ID,  # ... and add a channel's digest subscription
        "unfurl_patterns": DEMO_UNFURL_PATTERN,
        "export_webhook_url": "",
        "shop_name": "Example Shop",
        "shop_url": "https://shop.example.com",
        "outreach_offer_code": "Platinum=VIP20,Gold=GOLD10",
        "gross_margin": 0.4,  # a retailer's margin: CLV:CAC then compares profit, not revenue
        "outreach_backend": "smtp",
        "outreach_unsubscribe_url": "https://shop.example.com/unsubscribe?email={email}",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_user": "",
        "smtp_password": None,
        "smtp_starttls": False,
        "smtp_from": SMTP_FROM,
    }
    return Settings(_env_file=None, **values)


def build_demo_store(settings: Settings, claim: StoreClaim, customers: int) -> Engine:
    """A fresh store with the synthetic shop, imported and scored as of today (TIMEZONE), in
    the file `claim` holds; once built, other processes may open it (none may delete it)."""
    database = claim.database
    claim.delete_files()
    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    now = datetime.now(settings.tzinfo).replace(tzinfo=None)
    shop = generate_shop(customers, now=now)
    with tempfile.TemporaryDirectory() as tmp:
        customers_csv, orders_csv = write_shop_csvs(shop, Path(tmp))
        import_customers(engine, customers_csv, settings)
        report = import_orders(engine, orders_csv, settings)
    out.print(f"1. {database}: {customers:,} customers, {report.summary()}", markup=False)
    runs = score(engine, settings, as_of=now.date(), backfill=12)
    equity = money(runs[-1].customer_equity, settings.currency)
    out.print(f"2. scored as of {now.date()} with {runs[-1].model} and 12 weeks of backfill: "
              f"customer equity {equity}")  # fmt: skip
    with read_snapshot(engine) as session:
        digest = build_digest(session, settings, week_end=None, now=datetime.now(UTC))
    out.print("\n   the weekly digest, as `clvbot digest --preview` shows it:\n")
    out.print(render_text(digest, channel="#clv-digest"), markup=False, end="")
    out.print("")
    claim.share()
    return engine


def demo_hints(engine: Engine) -> tuple[str, ...]:
    """What the composer offers besides the commands: a customer link to paste (it unfurls), a
    message naming a customer by email (try "CLV of this customer" on it), a subscription."""
    with read_snapshot(engine) as session:
        rows = top_customers(session, limit=20).rows
    hints = [DEMO_ADMIN + rows[0].customer_id] if rows else []
    email = next((r.email for r in rows if r.email), None)
    if email:
        hints.append(f"Could someone check on {email}? Their last order was a while ago")
    return (*hints, "/clv subscribe weekly monday 09:00 Europe/Berlin")


def start_demo(
    *, port: int = 3000, customers: int = 3000, database: Path = DEMO_DATABASE
) -> RunningDemo:
    """Store, sandbox (with its SMTP outbox), bot and scheduler, all running; `stop()` ends them.

    StoreInUseError, and nothing deleted, when another clvbot process has `database` open.
    """
    from bot.sandbox import (
        DIGEST_CHANNEL,
        Outbox,
        SandboxConfig,
        ServerThread,
        Workspace,
        bind,
        build_sandbox,
    )

    claim = claim_for_rebuild(database)  # held until the demo stops
    try:
        sandbox_sock, bot_sock = bind(port), bind(0)
        sandbox_url = f"http://127.0.0.1:{sandbox_sock.getsockname()[1]}"
        workspace = Workspace()
        outbox = Outbox(workspace)
        settings = demo_settings(database, sandbox_url, outbox.port)
        engine = build_demo_store(settings, claim, customers)
    except BaseException:
        claim.release()
        raise
    running = RunningDemo(sandbox_url, settings, engine, workspace, [claim.release, engine.dispose])
    try:
        running.stops.append(outbox.start().stop)
        config = SandboxConfig(
            bot_events_url=f"http://127.0.0.1:{bot_sock.getsockname()[1]}{EVENTS_PATH}",
            signing_secret=_secret(settings.slack_signing_secret),
            bot_token=_secret(settings.slack_bot_token),
            base_url=f"{sandbox_url}/",
            digest_channel=DIGEST_CHANNEL,
            on_post_digest=_digest_hook(engine, settings),
            smtp_port=outbox.port,
            unfurl_domains=tuple(p.domain for p in parse_patterns(settings.unfurl_patterns)),
            examples=demo_hints(engine),
        )
        sandbox = ServerThread(build_sandbox(config, workspace), sandbox_sock, "sandbox")
        running.stops.append(sandbox.start().stop)
        deps = Deps(settings, bot_engine(settings))
        running.stops.append(deps.engine.dispose)
        bot = build_asgi(build_app(deps), deps.engine, settings)  # auth.test: the sandbox
        running.stops.append(ServerThread(bot, bot_sock, "bot").start().stop)
        out.print(f"3. bot on {config.bot_events_url}, outreach mail to 127.0.0.1:{outbox.port}")
        alerts = run_alerts(JobContext(engine, settings))
        posted = sum(o.status == "posted" for o in alerts)
        out.print(f"4. alerts after the scoring run: {posted} posted to #clv-alerts")
        stop_scheduler = _start_scheduler(engine, settings)
        if stop_scheduler is not None:
            running.stops.append(stop_scheduler)
    except BaseException:
        running.stop()
        raise
    return running


def _secret(value: Any) -> str:
    return str(value.get_secret_value())


def demo(
    port: int = typer.Option(3000, help="Port of the sandbox page on 127.0.0.1."),
    customers: int = typer.Option(3000, min=600, help="Customers in the synthetic shop."),
    database: Path = typer.Option(DEMO_DATABASE, help="SQLite file to (re)create for the demo."),
) -> None:
    """Run the real bot on a realistic demo shop, with a local Slack sandbox in the browser."""
    require_demo_extra()
    from bot.sandbox import PortInUseError

    started = time.monotonic()
    configure_logging(logging.WARNING, with_time=False)
    try:
        with user_errors():
            running = start_demo(port=port, customers=customers, database=database)
    except PortInUseError as exc:
        fail(f"{exc}: try `clvbot demo --port {port + 1}`")
    except StoreInUseError as exc:
        fail(escape(str(exc)))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    with stop_on_sigterm() as stopping:  # before "ready": a SIGTERM then stops cleanly
        out.print(f"\nsandbox ready in {time.monotonic() - started:.1f} s: open {running.url}")
        out.print("Ctrl-C stops everything.")
        try:
            stopping.wait()
        finally:
            out.print("\nstopping…")
            running.stop()
            out.print(f"stopped; the demo store stays in {database}")
