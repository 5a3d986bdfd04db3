"""`clvbot export`, run as a user runs it, over the hostile shop of tests/exports."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app
from clv.csvsafe import restore
from clv.exports.csv import HEADER
from clv.settings import Settings, get_settings
from tests.exports.conftest import HOSTILE, build_hostile_shop, receiving

runner = CliRunner()
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SECRET = "whsec-cli-export-0123"


@pytest.fixture
def scored(
    env_settings: str,
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """The shop scored in the test's database; the working directory an empty folder."""
    shop = tmp_path / "shop"
    shop.mkdir()
    build_hostile_shop(engine, settings, shop)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_export_writes_a_private_csv_named_after_the_list_and_day(scored: Path) -> None:
    result = runner.invoke(app, ["export", "dormant"])

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    path = scored / "clv-dormant-2024-06-30.csv"
    assert [p.name for p in scored.iterdir()] == [path.name]  # no part file left behind
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # names and emails: the owner only
    cells = read_csv(path.read_text(encoding="utf-8"))
    assert cells[0] == list(HEADER)
    assert not [c for line in cells for c in line if c.startswith(FORMULA_STARTS)]
    names = {restore(line[2]) for line in cells[1:]}
    assert {name for _, _, name in HOSTILE} <= names
    rows = len(cells) - 1
    assert result.stderr.startswith(
        f"exported {rows} dormant customers (scores as of 2024-06-30, run 1) to "
        f"clv-dormant-2024-06-30.csv; arms: "
    )
    assert f"({rows} recorded now)" in result.stderr
    again = runner.invoke(app, ["export", "dormant", "--out", "again.csv"])
    assert again.exit_code == 0, again.output
    assert "(0 recorded now)" in again.stderr
    assert (scored / "again.csv").read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_export_to_standard_output_and_as_json(scored: Path) -> None:
    listed = runner.invoke(app, ["export", "segment", "can't", "lose", "them", "--out", "-"])
    assert listed.exit_code == 0, listed.output
    cells = read_csv(listed.stdout)
    assert cells[0] == list(HEADER)
    assert {line[3] for line in cells[1:]} <= {"Can't Lose Them"}
    assert "customers in segment Can't Lose Them" in listed.stderr

    as_json = runner.invoke(app, ["export", "tier", "Gold", "--json"])
    assert as_json.exit_code == 0, as_json.output
    document = json.loads((scored / "clv-tier-gold-2024-06-30.json").read_text("utf-8"))
    assert document["type"] == "clvbot.audience.export"
    assert document["list"] == {"kind": "tier", "name": "Gold", "label": "tier Gold"}
    assert document["count"] == len(document["customers"]) > 0
    assert {c["tier"] for c in document["customers"]} == {"Gold"}


def test_webhook_export_is_signed_and_needs_its_settings(
    scored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = runner.invoke(app, ["export", "dormant", "--webhook"])
    assert missing.exit_code == 2
    assert "EXPORT_WEBHOOK_URL is not set" in missing.output
    with receiving() as receiver:
        monkeypatch.setenv("EXPORT_WEBHOOK_URL", receiver.url)
        get_settings.cache_clear()
        no_secret = runner.invoke(app, ["export", "dormant", "--webhook"])
        assert no_secret.exit_code == 2
        assert "EXPORT_WEBHOOK_SECRET is not set" in no_secret.output
        monkeypatch.setenv("EXPORT_WEBHOOK_SECRET", SECRET)
        get_settings.cache_clear()

        sent = runner.invoke(app, ["export", "dormant", "--webhook"])

    assert sent.exit_code == 0, sent.output
    assert list(scored.iterdir()) == []  # --webhook alone writes no file
    ((headers, body),) = receiver.requests
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-clvbot-signature"] == f"sha256={expected}"
    document = json.loads(body)
    assert document["list"]["kind"] == "dormant"
    assert f"Idempotency-Key {headers['idempotency-key'][:12]}…" in sent.stderr
    assert "to EXPORT_WEBHOOK_URL" in sent.stderr
    assert "t0k3n" not in sent.output
    assert SECRET not in sent.output


def test_export_says_what_is_wrong(scored: Path) -> None:
    unknown = runner.invoke(app, ["export", "segment", "whales"])
    assert unknown.exit_code == 1
    assert "no segment, tier or stage called 'whales'" in unknown.output
    typo = runner.invoke(app, ["export", "dormnat"])
    assert typo.exit_code == 1
    assert "did you mean dormant?" in typo.output
    nothing = runner.invoke(app, ["export"])
    assert nothing.exit_code == 2
    assert list(scored.iterdir()) == []
