"""One answer reads one run: a scoring run committing while `/clv` reads does not make the
answer see the old run and the new run's rows ("not scored yet" for a scored customer).
Found by the kill -9 trials of the fault suite."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from clv.datasets import write_cdnow_orders_csv
from clv.ingest import import_orders
from clv.insights import current_run
from clv.scoring.pipeline import score
from clv.settings import Settings
from clv.store import read_snapshot
from tests.helpers import view_of

pytestmark = pytest.mark.faults
AS_OF = date(1997, 9, 30)


def test_a_read_snapshot_keeps_its_run_while_a_new_run_commits(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    import_orders(engine, write_cdnow_orders_csv(tmp_path / "cdnow.csv"), settings)
    (first,) = score(engine, settings, as_of=AS_OF, model="bgnbd")
    with read_snapshot(engine) as session:
        assert current_run(session).id == first.run_id
        (second,) = score(engine, settings, as_of=AS_OF, model="bgnbd")  # commits meanwhile
        view = view_of(session, "1")
    assert (view.as_of, view.run.run_id) == (AS_OF, first.run_id)
    with read_snapshot(engine) as session:
        assert view_of(session, "1").run.run_id == second.run_id
