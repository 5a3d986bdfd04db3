"""A throwaway PostgreSQL cluster on a loopback port, for the PostgreSQL leg of the suite."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def find_bindir() -> Path | None:
    """The newest installed PostgreSQL server's bin directory, or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _version(path: str) -> float:
    try:
        return float(Path(path).parent.parent.name)
    except ValueError:
        return 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    bindir: Path
    datadir: Path
    port: int
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str, check: bool = True) -> None:
        subprocess.run(
            [*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), *args],
            capture_output=True,
            check=check,
        )

    def start(self) -> None:
        base = self.datadir.parent
        options = f"-p {self.port} -k {base} -c listen_addresses=127.0.0.1 -F -c fsync=off"
        self.pg_ctl("-o", options, "-l", str(base / "server.log"), "-w", "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "immediate", "stop", check=False)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


MEMORY_DIR = Path("/dev/shm")  # Linux's tmpfs: no disk under the cluster's files
MEMORY_NEEDED = 1 << 30  # bytes free there for it to be used


def _cluster_parent() -> str | None:
    """Where a cluster's folder goes: in memory when there is room (CREATE DATABASE, which
    every PostgreSQL test runs, takes 20-30 ms there and 0.2-0.5 s on a disk, even with fsync
    off), else the usual temporary folder."""
    try:
        found = os.statvfs(MEMORY_DIR)
    except OSError:
        return None
    roomy = found.f_bavail * found.f_frsize >= MEMORY_NEEDED
    return str(MEMORY_DIR) if roomy and os.access(MEMORY_DIR, os.W_OK | os.X_OK) else None


def start_cluster(bindir: Path) -> Cluster:
    """initdb + pg_ctl start on 127.0.0.1; as root, the server runs as the `postgres` user."""
    base = Path(tempfile.mkdtemp(prefix="clvbot-pg-", dir=_cluster_parent()))
    datadir = base / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [
            *run_as,
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        capture_output=True,
        check=True,
    )
    cluster = Cluster(bindir, datadir, port, run_as)
    cluster.start()
    return cluster
