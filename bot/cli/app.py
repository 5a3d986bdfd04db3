"""`clvbot`: the top-level command and its sub-command groups."""

from __future__ import annotations

import typer

from bot.cli import (
    db,
    demo,
    digest,
    imports,
    read,
    scheduler,
    score,
    serve,
    stats,
    walkthrough,
)

app = typer.Typer(
    name="clvbot",
    help="Customer lifetime value for e-commerce teams, in Slack and on the command line.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(imports.app, name="import")
app.command("stats")(stats.stats)
app.command("score")(score.score)
for _command in (
    read.customer,
    read.segment,
    read.segments,
    read.dormant,
    read.top,
    read.model,
    read.trends,
    read.movers,
):
    app.command(_command.__name__)(_command)
app.command("demo")(demo.demo)
app.command("walkthrough")(walkthrough.walkthrough)
app.command("serve")(serve.serve)
app.command("digest")(digest.digest)
app.command("scheduler")(scheduler.scheduler)


def main() -> None:
    app()
