"""`/clv dormant` and `/clv overdue` are re-engagement lists: each shows and records the
experiment arm of its customers; held-out customers are marked and keep that arm."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, select

from clv.store.tables import outreach_assignments_table as assignments
from tests.bot.limits import all_text
from tests.bot.served import ServedBot


def fresh(bot: ServedBot) -> ServedBot:
    """The bot on its copy of the shared scored store, with no arm recorded yet (the other
    tests' `/clv dormant` on that store record theirs)."""
    with bot.engine.begin() as connection:
        connection.execute(delete(assignments))
    return bot


def recorded(bot: ServedBot) -> list[tuple[int, str, str]]:
    with bot.engine.connect() as connection:
        rows = connection.execute(
            select(assignments.c.customer_id, assignments.c.arm, assignments.c.source)
        )
        return sorted((r.customer_id, r.arm, r.source) for r in rows)


def test_dormant_list_records_and_marks_the_held_out(
    serve: Callable[..., ServedBot], store_copy: str
) -> None:
    bot = fresh(serve(store_copy, outreach_holdout_share=0.5))
    text = all_text(bot.command("dormant 20").json())
    rows = recorded(bot)
    held = [r for r in rows if r[1] == "holdout"]
    assert 20 - 3 <= len(rows) <= 20  # the list's customers, but the opted-out ones
    assert 3 <= len(held) <= 17  # half held out, give or take
    assert text.count("held out (control group) until") == len(held)
    assert {r[2] for r in rows} == {"dormant"}
    again = all_text(bot.command("dormant 20").json())
    assert recorded(bot) == rows  # recorded once: the same arms, the first source
    assert again.count("held out (control group) until") == len(held)


def test_lowering_the_share_keeps_recorded_holdouts(
    serve: Callable[..., ServedBot], store_copy: str
) -> None:
    first = fresh(serve(store_copy, outreach_holdout_share=0.5))
    first.command("dormant 20")
    held = [r for r in recorded(first) if r[1] == "holdout"]
    first.stop()
    second = serve(store_copy, outreach_holdout_share=0.0)
    text = all_text(second.command("dormant 20").json())
    assert text.count("held out (control group) until") == len(held)
