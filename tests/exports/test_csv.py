"""The exported CSV: read back by Python's `csv` module, no cell a spreadsheet would run, the
whole list (not Slack's 50), and contact statuses the send service then enforces."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from clv.csvsafe import restore
from clv.exports import (
    ExportRow,
    ExportSummary,
    ListChoice,
    export_filename,
    export_list,
    parse_list,
)
from clv.exports.csv import HEADER, CsvSink, amount, write_csv
from clv.insights import MAX_LIST
from clv.insights.groups import UnknownGroupError
from clv.insights.runs import current_ref
from clv.outreach import request_outreach
from clv.settings import Settings
from clv.store import read_snapshot
from clv.store.tables import customers_table, outreach_assignments_table
from tests.exports.conftest import HOSTILE, NOW, RULES

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_to(
    engine: Engine, path: Path, what: str = "dormant", **kwargs: int
) -> tuple[ExportSummary, list[list[str]]]:
    with path.open("w", encoding="utf-8", newline="") as file:
        summary = export_list(engine, parse_list(what), CsvSink(file), rules=RULES, now=NOW,
                              **kwargs)  # fmt: skip
    with path.open(encoding="utf-8", newline="") as file:
        return summary, list(csv.reader(file))


def stored(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_hostile_values_are_inert_and_read_back_as_they_were(shop: Engine, tmp_path: Path) -> None:
    summary, cells = export_to(shop, tmp_path / "dormant.csv")

    assert cells[0] == list(HEADER)
    assert len(cells) == summary.rows + 1
    for line in cells:  # the formula-injection check: every cell of the file
        assert len(line) == len(HEADER)
        for cell in line:
            assert not cell.startswith(FORMULA_STARTS), (line, cell)
    rows = {restore(line[0]): dict(zip(HEADER, map(restore, line), strict=True))
            for line in cells[1:]}  # fmt: skip
    for key, email, name in HOSTILE:
        assert (rows[key]["email"], rows[key]["name"]) == (email, name)
    assert any(line[2] == '\'=HYPERLINK("http://evil")' for line in cells)  # as written
    refunded = rows["-h5"]
    assert refunded["historical_value"] == "-20.00"  # 30.00 bought, 50.00 refunded
    assert refunded["currency"] == "USD"
    assert refunded["reason"].startswith(("P(alive)", "no purchase for"))
    assert refunded["days_since_last_order"] == "364"


def test_values_are_the_stored_scores_in_major_units(shop: Engine, tmp_path: Path) -> None:
    _, cells = export_to(shop, tmp_path / "dormant.csv")
    rows = [dict(zip(HEADER, map(restore, line), strict=True)) for line in cells[1:]]
    (clv, low, high, minor, p_alive, stake), = stored(shop, (
        "SELECT s.predicted_clv, s.clv_low, s.clv_high, s.historical_value_minor, s.p_alive, "
        "s.value_at_stake FROM customer_scores s JOIN customers c ON c.id = s.customer_id "
        f"WHERE c.external_id = '{rows[0]['customer_id']}'"
    ))  # fmt: skip
    first = rows[0]
    assert first["predicted_clv"] == f"{clv:.2f}"
    assert (first["clv_low"], first["clv_high"]) == (f"{low:.2f}", f"{high:.2f}")
    assert first["historical_value"] == f"{minor / 100:.2f}"
    assert first["p_alive"] == f"{p_alive:.4f}"
    assert first["value_at_stake"] == f"{stake:.2f}"
    stakes = [float(r["value_at_stake"]) for r in rows]
    assert stakes == sorted(stakes, reverse=True)  # the re-engagement list's order


def test_the_export_holds_the_whole_list_in_any_batch_size(shop: Engine, tmp_path: Path) -> None:
    (dormant,) = stored(shop, "SELECT count(*) FROM customer_scores WHERE dormant")[0]
    assert isinstance(dormant, int)
    assert dormant > MAX_LIST  # more than a Slack list holds

    summary, whole = export_to(shop, tmp_path / "a.csv", batch=7)
    again, same = export_to(shop, tmp_path / "b.csv")

    assert summary.rows == again.rows == dormant
    assert whole == same  # batches change nothing, and the arms are the recorded ones
    assert (summary.recorded, again.recorded) == (dormant, 0)


def test_the_arms_shown_are_recorded_and_the_send_service_enforces_them(
    shop: Engine, settings: Settings, tmp_path: Path
) -> None:
    summary, cells = export_to(shop, tmp_path / "dormant.csv")
    rows = [dict(zip(HEADER, map(restore, line), strict=True)) for line in cells[1:]]

    recorded = stored(shop, "SELECT arm, source, reason, week_end FROM outreach_assignments")
    assert len(recorded) == summary.recorded == summary.arm("contact") + summary.arm("holdout")
    assert {(source, reason) for _, source, reason, _ in recorded} == {("export", "dormant")}
    held = [r for r in rows if r["arm"] == "holdout"]
    assert held
    assert summary.arm("holdout") == len(held)
    assert all(r["contact_status"] == "held out" for r in held)
    assert all("list week ending 2024-06-30" in r["contact_reason"] for r in held)
    assert all(r["list_week"] == "2024-06-30" for r in rows)
    contact = next(r for r in rows if r["contact_status"] == "contact")

    def send(key: str) -> str:
        with shop.connect() as connection:
            store_id = connection.execute(
                select(customers_table.c.id).where(customers_table.c.external_id == key)
            ).scalar_one()
        result = request_outreach(shop, settings, customer_id=store_id, requested_by="U1",
                                  now=NOW)  # fmt: skip
        return result.status

    assert send(held[0]["customer_id"]) != "sent"
    assert send(contact["customer_id"]) == "sent"


class Broken(CsvSink):
    """A sink whose disk fills up after the first batch."""

    def write(self, rows: Sequence[ExportRow]) -> None:
        if getattr(self, "wrote", False):
            raise OSError("No space left on device")
        super().write(rows)
        self.wrote = True


def test_an_export_that_fails_part_way_records_nothing(shop: Engine, tmp_path: Path) -> None:
    full = pytest.raises(OSError, match="No space left")
    with (tmp_path / "x.csv").open("w", newline="") as file, full:
        export_list(shop, ListChoice("dormant"), Broken(file), rules=RULES, now=NOW, batch=10)
    with shop.connect() as connection:
        assert connection.execute(select(outreach_assignments_table)).all() == []


def test_group_exports_rank_by_value_and_say_who_is_not_at_risk(
    shop: Engine, tmp_path: Path
) -> None:
    summary, cells = export_to(shop, tmp_path / "champions.csv", "segment CHAMPIONS")
    rows = [dict(zip(HEADER, line, strict=True)) for line in cells[1:]]
    assert summary.choice == ListChoice("segment", "Champions")
    assert rows
    assert {r["segment"] for r in rows} == {"Champions"}
    assert {r["contact_status"] for r in rows} == {"not at risk"}
    values = [float(r["predicted_clv"]) for r in rows]
    assert values == sorted(values, reverse=True)
    tier = parse_list("tier platinum")
    with (tmp_path / "t.csv").open("w", newline="") as file:
        platinum = write_csv(shop, tier, file, rules=RULES, now=NOW)
    assert platinum.rows >= 1
    assert tier.slug == "tier-platinum"


def test_list_names_are_parsed_forgivingly_and_mistakes_say_what_exists() -> None:
    assert parse_list("  Dormant ") == ListChoice("dormant")
    assert parse_list("segment can't lose them") == ListChoice("segment", "Can't Lose Them")
    assert parse_list("segment platinum") == ListChoice("tier", "Platinum")
    assert parse_list("segment dormant") == ListChoice("stage", "dormant")
    assert parse_list("segment can't lose them").slug == "segment-cant-lose-them"
    with pytest.raises(UnknownGroupError, match="no segment, tier or stage called 'whales'"):
        parse_list("segment whales")
    with pytest.raises(LookupError, match="did you mean Gold\\? tiers: Platinum, Gold"):
        parse_list("tier gld")
    with pytest.raises(LookupError, match="the dormant list takes no name"):
        parse_list("dormant 20")
    with pytest.raises(LookupError, match=r"no list called 'dormnat'.*did you mean dormant"):
        parse_list("dormnat")
    with pytest.raises(LookupError, match="export what"):
        parse_list("")


def test_amounts_have_the_currencys_decimals() -> None:
    assert (amount(1234.5, 2), amount(1234.5, 0), amount(1.2346, 3)) == ("1234.50", "1234", "1.235")
    assert (amount(-0.001, 2), amount(None, 2)) == ("0.00", "")


def test_the_file_name_names_the_list_and_the_day(shop: Engine) -> None:
    with read_snapshot(shop) as session:
        run = current_ref(session)
    assert export_filename(ListChoice("dormant"), run) == "clv-dormant-2024-06-30.csv"
