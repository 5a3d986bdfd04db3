"""`clvbot`: the top-level command; each sub-command's module is imported when it runs."""

from __future__ import annotations

import typer

from bot.cli.lazy import LazyCommand, lazy_group

# (name, module under bot.cli, attribute, one-line help = the first line of its docstring)
COMMANDS = (
    LazyCommand("stats", "stats", "stats",
                "Counts of customers and orders, the date range and total revenue."),
    LazyCommand("score", "score", "score",
                "Fit the models and score every customer as of a day (orders on that day "
                "included)."),
    LazyCommand("customer", "read", "customer",
                "The full view of one customer: values, P(alive), segment, stage and 13-week "
                "trend."),
    LazyCommand("segment", "read", "segment",
                "One segment (or CLV tier, or lifecycle stage): size, value, change, rule, top "
                "customers."),
    LazyCommand("segments", "read", "segments",
                "Every segment (or tier, or stage) with size, value, week-over-week change and "
                "rule."),
    LazyCommand("dormant", "read", "dormant",
                "Dormant customers ranked by value at stake; opted-out customers are marked."),
    LazyCommand("top", "read", "top", "The customers with the highest predicted CLV."),
    LazyCommand("overdue", "read", "overdue",
                "Overdue customers (past their usual time between orders, not yet dormant) by "
                "value at stake."),
    LazyCommand("export", "export", "export",
                "A whole list (dormant, overdue, a segment or a tier) as CSV or JSON, or sent to "
                "a CRM webhook."),
    LazyCommand("model", "read", "model",
                "The current run's models: parameters, standard errors, fit, holdout check, "
                "warnings."),
    LazyCommand("trends", "read", "trends",
                "Customer equity, mean CLV, active and dormant customers and revenue, week by "
                "week."),
    LazyCommand("movers", "read", "movers",
                "Largest predicted-CLV rises and falls, and segment migrations, between two "
                "stored weeks."),
    LazyCommand("channels", "acquisition", "channels",
                "CLV against acquisition cost per channel: CLV:CAC, payback, affordable CAC, "
                "equity."),
    LazyCommand("funnel", "acquisition", "funnel",
                "The lifecycle funnel per channel or cohort: acquired, converted, retained, "
                "loyal, dormant."),
    LazyCommand("cohorts", "acquisition", "cohorts",
                "Acquisition cohorts: size, retention and cumulative revenue per customer by "
                "period."),
    LazyCommand("nps", "acquisition", "nps",
                "Net Promoter Score beside CLV: answers, NPS and what promoters and detractors "
                "are worth."),
    LazyCommand("demo", "demo", "demo",
                "Run the real bot on a realistic demo shop, with a local Slack sandbox in the "
                "browser."),
    LazyCommand("walkthrough", "walkthrough", "walkthrough",
                "Create a fresh store from the CDNOW sample, score it, and show what clvbot "
                "knows."),
    LazyCommand("serve", "serve", "serve",
                "Answer /clv in Slack from the stored scores (and run the scheduled jobs)."),
    LazyCommand("digest", "digest", "digest",
                "The weekly digest: CLV trends, segments, movers, model health and the "
                "re-engagement list."),
    LazyCommand("alerts", "alerts", "app",
                "Alerts after each scoring run: list them, post what is due, mute a rule."),
    LazyCommand("outreach", "outreach", "app", "Outreach measured against its control group."),
    LazyCommand("scheduler", "scheduler", "scheduler",
                "Run the nightly re-score and the weekly digest on their schedules until "
                "stopped."),
    LazyCommand("sync", "sync", "sync",
                "Import the orders that are new in SYNC_SOURCE since the last sync."),
    LazyCommand("db", "db", "app", "Manage the database schema."),
    LazyCommand("import", "imports", "app", "Import customers or orders from CSV files."),
)  # fmt: skip

app = typer.Typer(
    name="clvbot",
    cls=lazy_group(COMMANDS),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def clvbot() -> None:
    """Customer lifetime value for e-commerce teams, in Slack and on the command line."""


def main() -> None:
    app()
