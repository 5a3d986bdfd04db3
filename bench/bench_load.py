"""Load test: two `clvbot serve` replicas on one PostgreSQL store answer signed `/clv <customer>`
from 50 concurrent clients while a scoring run commits a new run.

    flock /tmp/clvbench.lock .venv/bin/python bench/bench_load.py          # 1M customers, 60 s
    .venv/bin/python bench/bench_load.py --customers 20000 --seconds 20 --clients 10

1. A real PostgreSQL server (bench/pg_store.py: its own cluster in --workdir, kept between
   runs) holding bench_score.py's synthetic orders (1M customers, ~10M orders by default),
   loaded with COPY and scored once with `clvbot score --as-of 2024-12-31`.
2. The sandbox plays Slack's Web API (tests/bot/fake_slack.py; bolt calls auth.test at start,
   `/clv <customer>` answers in the acknowledgement). Two `clvbot serve --no-scheduler`
   replicas on two loopback ports, pointed at the same store.
3. `--clients` threads, each with one keep-alive connection per replica, send signed
   requests (as Slack signs them) for random customers of a fixed pool to the two replicas
   in turn, each waiting for its answer before the next (a closed loop: no more than
   `--clients` requests in flight). `--score-at` seconds in, `clvbot score` runs on the same
   store, a week later than the current run, and commits a new run; the clients go on for
   `--seconds` in all, and at least `--tail` seconds after the commit.
4. Every answer is recorded: latency, HTTP status, error kind (non-200, no card, a notice such
   as "the store is not answering") and the run it came from (the card's "scores as of"). Its
   predicted CLV and its week count of the trend are checked against the stored values of
   that run: an answer that mixes two runs (the old run's day with the new scores, or the new
   history) shows as a mismatch.
5. Prints requests, throughput, p50/p90/p99/max (all, and before / during / after the
   scoring run), errors by kind, answers per run, the check, the CPU each process used and
   the load average. Clients, replicas, PostgreSQL and the scoring run share the machine's
   cores. A benchmark, not a test: it exits 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import bench_score  # noqa: E402
import pg_store  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402

from tests.postgres import Cluster  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
TARGET_P99_MS = 50.0
HISTORY_WEEKS = 13  # the card's trend: customer_view's default
NEWEST_FULL_RUN = (
    "SELECT status FROM scoring_runs WHERE id > %s AND kind = 'full' ORDER BY id DESC LIMIT 1"
)
LOCK_WAITS = (  # the sessions waiting for a lock, and who holds or is ahead in the queue
    "SELECT w.mode || ' on ' || coalesce(w.relation::regclass::text, w.locktype), "
    "(SELECT string_agg(DISTINCT h.mode, '+') FROM pg_locks h WHERE h.granted "
    " AND h.relation = w.relation AND h.pid <> w.pid) FROM pg_locks w WHERE NOT w.granted"
)
RUN_STAGES = (
    "SELECT details -> 'stage_seconds' FROM scoring_runs WHERE id > %s AND kind = 'full' "
    "ORDER BY id DESC LIMIT 1"
)
AUTOVACUUM = (
    "SELECT coalesce(substring(query from 'autovacuum: (.*)'), '?') FROM pg_stat_activity "
    "WHERE backend_type = 'autovacuum worker'"
)
TREND = re.compile(r"(?:(\d+)-week CLV trend|no trend yet) .* scores as of (\d{4}-\d{2}-\d{2})")


# ------------------------------------------------------------------------------ answers
@dataclass(frozen=True)
class Answer:
    started: float  # seconds since the clients began
    ms: float
    replica: int
    status: int  # 0: no HTTP answer
    kind: str  # "card", or what went wrong
    key: str
    as_of: str | None = None
    clv: str | None = None
    weeks: int | None = None


def read_card(status: int, raw: bytes) -> tuple[str, str | None, str | None, int | None]:
    """(kind, as of, predicted CLV text, trend weeks) of one acknowledgement."""
    if status != 200:
        return f"HTTP {status}", None, None, None
    try:
        message = json.loads(raw)
    except ValueError:
        return "200 without a JSON body", None, None, None
    text = str(message.get("text", ""))
    if "predicted CLV " not in text:
        lowered = text.lower()
        if "not answering" in lowered:
            return "notice: the store is not answering", None, None, None
        if "went wrong" in lowered:
            return "notice: apology (an error id)", None, None, None
        return f"notice: {text[:60]}", None, None, None
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "context" else []:
            found = TREND.search(str(element.get("text", "")))
            if found:
                weeks = int(found.group(1)) if found.group(1) else 0
                return "card", found.group(2), text.split("predicted CLV ", 1)[1], weeks
    return "card without its as-of line", None, None, None


def command_body(key: str, response_url: str) -> str:
    return urlencode({
        "token": "x", "team_id": "T1", "team_domain": "shop", "channel_id": "C1",
        "channel_name": "sales", "user_id": "U1", "user_name": "load", "command": "/clv",
        "text": key, "response_url": response_url, "trigger_id": "1.2.3", "api_app_id": "A1",
    })  # fmt: skip


class Client(threading.Thread):
    """One user: a request, its answer, the next request (replicas in turn)."""

    def __init__(self, n: int, ports: list[int], keys: list[str], load: Load) -> None:
        super().__init__(name=f"client-{n}", daemon=True)
        self.n, self.ports, self.keys, self.load = n, ports, keys, load
        self.random = random.Random(load.seed * 1000 + n)
        self.answers: list[Answer] = []
        self.reconnects = 0  # kept connections the server had closed while idle
        self.connections: dict[int, http.client.HTTPConnection] = {}
        self.verifier = SignatureVerifier(SECRET)

    def run(self) -> None:
        sent = self.n
        while not self.load.stop.is_set():
            replica = sent % len(self.ports)
            sent += 1
            answer = self.ask(replica, self.random.choice(self.keys))
            if self.load.counting.is_set():
                self.answers.append(answer)
            if self.load.think > 0:
                time.sleep(self.random.expovariate(1 / self.load.think))
        for connection in self.connections.values():
            connection.close()

    def ask(self, replica: int, key: str) -> Answer:
        body = command_body(key, self.load.response_url)
        ts = str(int(time.time()))
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": ts,
            "x-slack-signature": self.verifier.generate_signature(timestamp=ts, body=body),
        }
        t0 = time.perf_counter()
        try:
            status, raw = self._send(replica, body.encode(), headers)
        except (OSError, http.client.HTTPException) as exc:
            self.connections.pop(replica, None)
            ms = (time.perf_counter() - t0) * 1000
            return Answer(t0 - self.load.t0, ms, replica, 0, f"no answer: {type(exc).__name__}",
                          key)  # fmt: skip
        ms = (time.perf_counter() - t0) * 1000
        kind, as_of, clv, weeks = read_card(status, raw)
        return Answer(t0 - self.load.t0, ms, replica, status, kind, key, as_of, clv, weeks)

    def _send(self, replica: int, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST on the kept connection; one that the server closed while it was idle (uvicorn
        closes them after 5 s) is opened again and the request sent on the new one, as HTTP
        clients do (the time of both attempts counts)."""
        reused = replica in self.connections
        connection = self.connections.get(replica) or self._connect(replica)
        try:
            connection.request("POST", "/slack/events", body=body, headers=headers)
            response = connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            if not reused:
                raise
            self.reconnects += 1
            connection.close()
            connection = self._connect(replica)
            connection.request("POST", "/slack/events", body=body, headers=headers)
            response = connection.getresponse()
        return response.status, response.read()

    def _connect(self, replica: int) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection("127.0.0.1", self.ports[replica], timeout=10)
        self.connections[replica] = connection
        return connection


@dataclass
class Load:
    """What the clients share: the clock, the switches, where the answer's URL points."""

    seed: int
    think: float
    response_url: str
    t0: float = field(default_factory=time.perf_counter)
    stop: threading.Event = field(default_factory=threading.Event)
    counting: threading.Event = field(default_factory=threading.Event)
    reconnects: int = 0
    autovacuum: list[tuple[float, str]] = field(default_factory=list)  # (when, what), sampled


# ------------------------------------------------------------------------- the replicas
def start_replica(n: int, cluster: Cluster, slack_url: str, workdir: Path,
                  env_extra: dict[str, str], profile: Path | None = None,
                  ) -> tuple[subprocess.Popen[bytes], int]:  # fmt: skip
    """`clvbot serve --no-scheduler` on a free port, healthy; its log in the work dir."""
    port = pg_store.free_port()
    env = {**pg_store.store_env(cluster), "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": f"{slack_url}/api/", **env_extra}  # fmt: skip
    cmd = [str(bench_score.clvbot_path()), "serve", "--no-scheduler", "--host", "127.0.0.1",
           "--port", str(port)]  # fmt: skip
    if profile is not None:
        cmd = [sys.executable, str(HERE / "load_profile.py"), str(profile), *cmd]
    log = (workdir / f"replica{n}.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"replica {n} exited {proc.returncode}: see {log.name}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"replica {n} did not become healthy within 60 s")


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU of a process (and of its waited-for children) from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu(cluster: Cluster) -> float:
    """The server's CPU: the postmaster, its living backends and those that have ended."""
    postmaster = int((cluster.datadir / "postmaster.pid").read_text().split()[0])
    total = cpu_seconds(postmaster, children=True)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            total += cpu_seconds(int(stat.parent.name))
    return total


# ----------------------------------------------------------------------- the stored runs
@dataclass(frozen=True)
class Run:
    run_id: int
    as_of: str
    clv: dict[str, str]  # the card's predicted CLV text, by customer key (of the pool)


def current_run(cluster: Cluster) -> tuple[int, date] | None:
    import psycopg

    with psycopg.connect(pg_store.psycopg_dsn(cluster)) as con:
        row = con.execute("SELECT id, as_of FROM scoring_runs WHERE status = 'complete' AND "
                          "kind = 'full' ORDER BY id DESC LIMIT 1").fetchone()  # fmt: skip
    return (int(row[0]), row[1]) if row else None


def read_run(cluster: Cluster, keys: list[str]) -> Run:
    """The current run's predicted CLV for `keys`, as the card prints it."""
    import psycopg
    from sqlmodel import Session

    from clv.formatting import money
    from clv.insights import current_ref
    from clv.store import make_engine

    engine = make_engine(pg_store.sqlalchemy_url(cluster))
    with Session(engine) as session:
        ref = current_ref(session)
    engine.dispose()
    with psycopg.connect(pg_store.psycopg_dsn(cluster)) as con:
        rows = con.execute(
            "SELECT c.external_id, s.predicted_clv FROM customer_scores s JOIN customers c "
            "ON c.id = s.customer_id WHERE s.run_id = %s AND c.external_id = ANY(%s)",
            (ref.run_id, keys),
        ).fetchall()
    return Run(ref.run_id, ref.as_of.isoformat(), {k: money(v, ref.currency) for k, v in rows})


def trend_weeks(cluster: Cluster, keys: list[str], as_of: str) -> dict[str, int]:
    """How many weeks the card's trend shows for `keys` when the history ends at `as_of`."""
    import psycopg

    with psycopg.connect(pg_store.psycopg_dsn(cluster)) as con:
        rows = con.execute(
            "SELECT c.external_id, count(*) FROM customer_weekly w JOIN customers c "
            "ON c.id = w.customer_id WHERE c.external_id = ANY(%s) AND w.week_end <= %s "
            "GROUP BY c.external_id",
            (keys, as_of),
        ).fetchall()
    return {k: min(int(n), HISTORY_WEEKS) for k, n in rows}


# ------------------------------------------------------------------------- the new run
@dataclass
class Scoring:
    """`clvbot score` on the store while the clients run: when its run appeared and committed."""

    cluster: Cluster
    as_of: str
    after_id: int
    workdir: Path
    nice: int = 0  # the scoring process's niceness (its PostgreSQL backend keeps 0)
    env: dict[str, str] = field(default_factory=dict)  # more environment for it
    started: float | None = None  # seconds since the clients began
    running: float | None = None  # its scoring_runs row seen
    committed: float | None = None
    exited: float | None = None
    code: int | None = None
    cpu: float = 0.0
    output: str = ""
    lock_waits: list[float] = field(default_factory=list)  # when sessions waited on a lock
    waited_for: Counter[str] = field(default_factory=Counter)  # which locks, in how many polls
    stages: dict[str, float] = field(default_factory=dict)  # the run's stage_seconds

    def run(self, load: Load, at: float) -> None:
        time.sleep(max(0.0, load.t0 + at - time.perf_counter()))
        watch = threading.Thread(target=self.watch, args=(load,), daemon=True)
        self.started = time.perf_counter() - load.t0
        log = (self.workdir / "score.log").open("w+")
        nice = ["nice", "-n", str(self.nice)] if self.nice else []
        env = {**pg_store.store_env(self.cluster), **self.env}
        proc = subprocess.Popen([*nice, *pg_store.score_command(self.as_of)], env=env,
                                cwd=self.workdir,
                                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        watch.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.exited, self.code = time.perf_counter() - load.t0, proc.returncode
        self.cpu = usage.ru_utime + usage.ru_stime
        log.seek(0)
        self.output = log.read().strip()
        watch.join(timeout=5)

    def watch(self, load: Load) -> None:
        """Poll the run's row (every 20 ms) until the process is gone: when it is seen and
        complete, and whether a session of the store waits for a lock held by another."""
        import psycopg

        with psycopg.connect(pg_store.psycopg_dsn(self.cluster), autocommit=True) as con:
            while self.exited is None:  # after the commit too: its clean-up may lock
                row = con.execute(NEWEST_FULL_RUN, (self.after_id,)).fetchone()
                waiting = con.execute(LOCK_WAITS).fetchall()
                now = time.perf_counter() - load.t0
                if row is not None and self.running is None:
                    self.running = now
                if row is not None and row[0] == "complete" and self.committed is None:
                    self.committed = now
                if waiting:
                    self.lock_waits.append(now)
                for wanted, held in waiting:
                    self.waited_for[f"{wanted} (held: {held or '?'})"] += 1
                time.sleep(0.02)
            stages = con.execute(RUN_STAGES, (self.after_id,)).fetchone()
            self.stages = dict(stages[0] or {}) if stages else {}


# ------------------------------------------------------------------------------- report
def stats(answers: list[Answer]) -> str:
    if not answers:
        return "no answers"
    ms = np.asarray([a.ms for a in answers])
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    errors = sum(a.kind != "card" for a in answers)
    return (f"{len(ms):7,d}  p50 {p50:7.1f}  p90 {p90:7.1f}  p99 {p99:7.1f}  "
            f"max {ms.max():8.1f} ms  errors {errors:,}")  # fmt: skip


def phases(answers: list[Answer], scoring: Scoring) -> dict[str, list[Answer]]:
    start = scoring.started if scoring.started is not None else float("inf")
    commit = scoring.committed if scoring.committed is not None else float("inf")
    return {
        "before the scoring run": [a for a in answers if a.started < start],
        "while it runs (to its commit)": [a for a in answers if start <= a.started < commit],
        "after its commit": [a for a in answers if a.started >= commit],
    }


CHECKS = (  # what no answer may be; each line is printed, zero or not
    "MIXED: names a run that is neither",
    "MIXED: predicted CLV not of the run it names",
    "MIXED: trend weeks not of the run it names",
    "old run, asked after the commit was seen",
    "new run, answered before its commit was seen",
)


def check_runs(answers: list[Answer], runs: dict[str, tuple[Run, dict[str, int]]],
               scoring: Scoring) -> Counter[str]:  # fmt: skip
    """Each card against the stored values of the run its "as of" names."""
    found: Counter[str] = Counter(dict.fromkeys(CHECKS, 0))
    old, new = [*runs.values(), None][:2]
    commit = scoring.committed if scoring.committed is not None else float("inf")
    for a in (a for a in answers if a.kind == "card"):
        entry = runs.get(a.as_of or "")
        if entry is None:
            found[CHECKS[0]] += 1
            continue
        run, weeks = entry
        found[f"run {run.run_id} (as of {run.as_of})"] += 1
        if run.clv.get(a.key) != a.clv:
            found[CHECKS[1]] += 1
        if weeks.get(a.key, 0) != a.weeks:
            found[CHECKS[2]] += 1
        if new is not None and old is not None:
            if old[0].clv.get(a.key) != new[0].clv.get(a.key):
                found["cards whose CLV tells the two runs apart"] += 1
            if run is old[0] and a.started > commit + 0.05:
                found[CHECKS[3]] += 1
            if run is new[0] and a.started + a.ms / 1000 < commit - 0.05:
                found[CHECKS[4]] += 1
    return found


def report(args: argparse.Namespace, answers: list[Answer], scoring: Scoring,
           runs: dict[str, tuple[Run, dict[str, int]]], seconds: float,
           cpu: dict[str, float], loads: list[float]) -> None:  # fmt: skip
    errors = Counter(a.kind for a in answers if a.kind != "card")
    checked = check_runs(answers, runs, scoring)
    mixed = sum(n for k, n in checked.items() if k.startswith("MIXED"))
    print()
    print(f"{args.customers:,} customers on PostgreSQL; {len(answers):,} signed /clv <customer> "
          f"requests from {args.clients} clients (closed loop, think {args.think_ms:g} ms) over "
          f"{seconds:.1f} s to 2 replicas: {len(answers) / seconds:,.0f} answers/s")  # fmt: skip
    print(f"scoring run: started {_at(scoring.started)}, row seen {_at(scoring.running)}, "
          f"committed {_at(scoring.committed)}, exited {_at(scoring.exited)} "
          f"(code {scoring.code}): {scoring.output.splitlines()[-1:] or ''}")  # fmt: skip
    waits = scoring.lock_waits
    print(f"sessions waiting on a lock: {len(waits)} of the 20-ms polls" + (
        f", from {waits[0]:.1f} s to {waits[-1]:.1f} s" if waits else ""))  # fmt: skip
    for what, polls in scoring.waited_for.most_common(6):
        print(f"  waiting for {what}: {polls} session-polls")
    print("its stages (s): " + ", ".join(f"{k} {v:g}" for k, v in scoring.stages.items()))
    print("latency (request -> acknowledgement with the card)")
    print(f"  {'all':32s} {stats(answers)}")
    for label, part in phases(answers, scoring).items():
        print(f"  {label:32s} {stats(part)}")
    for replica in range(2):
        part = [a for a in answers if a.replica == replica]
        print(f"  {f'replica {replica}':32s} {stats(part)}")
    print(f"errors: {sum(errors.values()) + mixed}" + "".join(
        f"\n  {kind}: {n:,}" for kind, n in errors.most_common()))  # fmt: skip
    print("answers by run and the check:" + "".join(
        f"\n  {kind}: {n:,}" for kind, n in checked.items()))  # fmt: skip
    print("CPU seconds over the timed part: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
          + f" (of {seconds * (os.cpu_count() or 1):.0f} on {os.cpu_count()} cores: clients, "
          "replicas, PostgreSQL and the scoring run share them)")  # fmt: skip
    print(f"load average: highest 1-minute value during the run {max(loads, default=0):.2f}; "
          f"now {' '.join(f'{v:.2f}' for v in os.getloadavg())}")  # fmt: skip
    all_ms = np.asarray([a.ms for a in answers]) if answers else np.asarray([np.inf])
    p99 = float(np.percentile(all_ms, 99))
    verdict = "PASS" if p99 < TARGET_P99_MS and not errors and not mixed else "FAIL"
    print(f"target: p99 < {TARGET_P99_MS:.0f} ms, zero errors, every answer of one complete run: "
          f"p99 {p99:.1f} ms, {sum(errors.values()) + mixed} errors -> {verdict}")  # fmt: skip


def timeline(answers: list[Answer], step: float) -> None:
    """Latency and errors by the time the requests were sent, `step` seconds a line."""
    print(f"by {step:g}-second step (when the request was sent)")
    last = max((a.started for a in answers), default=0.0)
    for k in range(int(last // step) + 1):
        part = [a for a in answers if k * step <= a.started < (k + 1) * step]
        print(f"  {k * step:5.0f}-{(k + 1) * step:<5.0f} s {stats(part)}")


def print_autovacuum(seen: list[tuple[float, str]]) -> None:
    """What autovacuum did during the timed part (sampled every 0.25 s): first and last seen."""
    spans: dict[str, tuple[float, float]] = {}
    for at, what in seen:
        first, _ = spans.get(what, (at, at))
        spans[what] = (first, at)
    print("autovacuum workers seen: " + ("; ".join(
        f"{what} {a:.0f}-{b:.0f} s" for what, (a, b) in spans.items()) or "none"))  # fmt: skip


def _at(moment: float | None) -> str:
    return "never" if moment is None else f"at {moment:.1f} s"


def print_profile(path: Path) -> None:
    import pstats

    if not path.exists():
        print(f"no profile at {path}")
        return
    print(f"replica 0 under cProfile (all threads; {path}):")
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(60)


# --------------------------------------------------------------------------------- main
def pool_keys(args: argparse.Namespace) -> list[str]:
    rng = np.random.default_rng([args.seed, 5])
    picks = rng.choice(args.customers, size=min(args.pool, args.customers), replace=False) + 1
    return [bench_score.customer_key(int(i), args.customers) for i in picks]


def wait_for_quiet(limit: float, max_wait: float) -> float:
    t0 = time.monotonic()
    while os.getloadavg()[0] >= limit and time.monotonic() - t0 < max_wait:
        time.sleep(5)
    return os.getloadavg()[0]


def drive(args: argparse.Namespace, load: Load, ports: list[int], keys: list[str],
          scoring: Scoring, cpu_now: Any) -> tuple[list[Answer], float, dict[str, float],
                                                   list[float]]:  # fmt: skip
    """Warm up, then the timed part: clients, the scoring run, until the stop condition."""
    clients = [Client(n, ports, keys, load) for n in range(args.clients)]
    for client in clients:
        client.start()
    time.sleep(args.warmup)
    before = cpu_now()
    load.t0 = time.perf_counter()
    load.counting.set()
    runner = threading.Thread(target=scoring.run, args=(load, args.score_at), daemon=True)
    if not args.no_score:
        runner.start()
    loads: list[float] = []
    import psycopg

    watch = psycopg.connect(pg_store.psycopg_dsn(scoring.cluster), autocommit=True)
    while True:
        time.sleep(0.25)
        elapsed = time.perf_counter() - load.t0
        loads.append(os.getloadavg()[0])
        for (table,) in watch.execute(AUTOVACUUM).fetchall():
            load.autovacuum.append((elapsed, table))
        done = args.no_score or (
            scoring.exited is not None
            and (scoring.committed is None or elapsed >= scoring.committed + args.tail)
        )
        if (elapsed >= args.seconds and done) or elapsed >= args.max_seconds:
            break
    watch.close()
    load.counting.clear()
    seconds = time.perf_counter() - load.t0
    after = cpu_now()
    load.stop.set()
    for client in clients:
        client.join(timeout=15)
    if not args.no_score:
        runner.join()
    cpu = {k: after[k] - before[k] for k in before}
    cpu["scoring run"] = scoring.cpu
    load.reconnects = sum(c.reconnects for c in clients)
    return [a for c in clients for a in c.answers], seconds, cpu, loads


def parse_args() -> argparse.Namespace:
    """The command line (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0, help="least length of the timed part")
    ap.add_argument("--score-at", type=float, default=5.0, help="when the scoring run starts")
    ap.add_argument("--no-score", action="store_true", help="no scoring run: the steady state")
    ap.add_argument("--score-nice", type=int, default=0, help="run clvbot score under nice -n")
    ap.add_argument(
        "--score-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment of the scoring run (e.g. PYTHONPATH of a variant)",
    )
    ap.add_argument("--tail", type=float, default=5.0, help="least time after its commit")
    ap.add_argument("--max-seconds", type=float, default=900.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--think-ms", type=float, default=0.0, help="mean pause between requests")
    ap.add_argument("--pool", type=int, default=20_000, help="customers the clients ask for")
    ap.add_argument("--step", type=float, default=10.0, help="the timeline's step, seconds")
    ap.add_argument("--profile", action="store_true", help="replica 0 under cProfile")
    ap.add_argument("--workdir", default="/tmp/clvbench-load")
    ap.add_argument("--shared-buffers", default="2GB")
    ap.add_argument("--max-load-wait", type=float, default=120.0)
    ap.add_argument(
        "--replica-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment of the replicas (e.g. a profiling switch)",
    )
    return ap.parse_args()


def start_replicas(cluster: Cluster, slack_url: str, workdir: Path, args: argparse.Namespace,
                   procs: list[subprocess.Popen[bytes]]) -> list[int]:  # fmt: skip
    """The two replicas' ports, each replica appended to `procs` as soon as it is up (replica 0
    under cProfile with --profile)."""
    extra = dict(item.split("=", 1) for item in args.replica_env)
    profile = workdir / "replica0.pstats" if args.profile else None
    for n in range(2):
        procs.append(start_replica(n, cluster, slack_url, workdir, extra,
                                   profile if n == 0 else None)[0])  # fmt: skip
    return [int(p.args[-1]) for p in procs]  # type: ignore[index]


def cpu_meter(
    cluster: Cluster, procs: list[subprocess.Popen[bytes]]
) -> Callable[[], dict[str, float]]:
    """A reading of the CPU seconds used so far by each replica, PostgreSQL and the clients."""
    named = {f"replica {n}": p.pid for n, p in enumerate(procs)}

    def cpu_now() -> dict[str, float]:
        found = {k: cpu_seconds(pid) for k, pid in named.items()}
        return {**found, "PostgreSQL": postgres_cpu(cluster), "clients": time.process_time()}

    return cpu_now


def answered_runs(cluster: Cluster, keys: list[str], old: Run,
                  scoring: Scoring) -> dict[str, tuple[Run, dict[str, int]]]:  # fmt: skip
    """The runs an answer may come from, by as-of day, with their trends' week counts: the run
    current before the test, and the scoring run's when it committed."""
    runs = {old.as_of: (old, trend_weeks(cluster, keys, old.as_of))}
    if scoring.committed is not None:
        new = read_run(cluster, keys)
        runs[new.as_of] = (new, trend_weeks(cluster, keys, new.as_of))
    return runs


def print_replica_logs(workdir: Path) -> None:
    """How many warning and error lines each replica logged, and the first of them."""
    for n in range(2):
        text = (workdir / f"replica{n}.log").read_text(errors="replace")
        lines = [line for line in text.splitlines() if "WARNING" in line or "ERROR" in line]
        print(f"replica {n} log: {len(lines)} warning/error lines" +
              (f", first: {lines[0][:200]}" if lines else ""))  # fmt: skip


def load_test(args: argparse.Namespace, cluster: Cluster, workdir: Path,
              procs: list[subprocess.Popen[bytes]]) -> None:  # fmt: skip
    """The replicas (appended to `procs`) and the sandbox up, the timed part, then the report."""
    keys = pool_keys(args)
    run_id, as_of = current_run(cluster) or (0, date.fromisoformat(pg_store.FIRST_AS_OF))
    old = read_run(cluster, keys)
    new_as_of = (as_of + timedelta(days=7)).isoformat()
    from tests.bot.fake_slack import FakeSlack

    fake = FakeSlack(TOKEN)
    ports = start_replicas(cluster, fake.url, workdir, args, procs)
    quiet = wait_for_quiet(1.5, args.max_load_wait)
    print(
        f"current run {run_id} as of {as_of}; the new run scores as of {new_as_of}; "
        f"{len(keys):,} customers asked for; load average before {quiet:.2f}",
        flush=True,
    )
    load = Load(args.seed, args.think_ms / 1000, fake.response_url("load"))
    score_env = dict(item.split("=", 1) for item in args.score_env)
    scoring = Scoring(cluster, new_as_of, run_id, workdir, args.score_nice, score_env)
    cpu_now = cpu_meter(cluster, procs)
    answers, seconds, cpu, loads = drive(args, load, ports, keys, scoring, cpu_now)
    runs = answered_runs(cluster, keys, old, scoring)
    report(args, answers, scoring, runs, seconds, cpu, loads)
    timeline(answers, args.step)
    print(f"kept connections the replicas had closed while idle, opened again: "
          f"{load.reconnects:,}")  # fmt: skip
    print_autovacuum(load.autovacuum)
    print_replica_logs(workdir)
    fake.server.stop()


def main() -> None:
    args = parse_args()
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    workdir = Path(args.workdir)
    cluster = pg_store.scored_store(args)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        load_test(args, cluster, workdir, procs)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        pg_store.stop_cluster(cluster)
    if args.profile:
        print_profile(workdir / "replica0.pstats")


if __name__ == "__main__":
    main()
