"""The soak's own processes: a private PostgreSQL, anvil with persisted state, gunicorn."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ledger.anvil import start_anvil, stop_anvil

ROOT = Path(__file__).resolve().parents[2]
PG_USER = "postgres"  # postgres refuses to run as root
GUNICORN_FLAGS = ("-w", "2", "--graceful-timeout", "10", "--no-control-socket")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_bin(name: str) -> str:
    """Debian's PostgreSQL binary `name` (the newest installed major version)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise FileNotFoundError(f"no /usr/lib/postgresql/*/bin/{name}: install postgresql")
    return found[-1]


def _as_pg(args: list[str]) -> list[str]:
    """Run `args` as the postgres user when we are root (initdb and postgres refuse root)."""
    return ["runuser", "-u", PG_USER, "--", *args] if os.geteuid() == 0 else args


class Postgres:
    """A throwaway PostgreSQL cluster in `base`, on `port`; stop/start at will."""

    def __init__(self, base: Path, port: int) -> None:
        self.data, self.port, self.log = base / "pgdata", port, base / "postgres.log"
        base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(base, PG_USER)
        initdb = [pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]
        subprocess.run(_as_pg([*initdb, "--no-sync"]), check=True, capture_output=True)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        cmd = [pg_bin("pg_ctl"), "-D", str(self.data), *args]
        subprocess.run(_as_pg(cmd), check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c max_connections=60"
        self._ctl("-o", opts, "-l", str(self.log), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; `immediate` is a crash (no checkpoint, clients cut off)."""
        self._ctl("-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


class Chain:
    """anvil on `port` with its state in `state`: stopped (SIGTERM, state written) and restarted."""

    def __init__(self, port: int, state: Path) -> None:
        self.port, self.state = port, state
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = start_anvil(self.port, self.state)

    def stop(self) -> None:
        if self.proc is not None:
            stop_anvil(self.proc)
            self.proc = None


class Web:
    """gunicorn (2 sync workers) serving the real app, started as `make run` starts it."""

    def __init__(self, port: int, env: dict[str, str], log: Path) -> None:
        self.port, self.env, self.log = port, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [sys.executable, "-m", "gunicorn", *GUNICORN_FLAGS, "-b", f"127.0.0.1:{self.port}"]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [*args, "wsgi:app"],
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def workers(self) -> list[int]:
        """The pids of the master's live worker processes."""
        if self.proc is None:
            return []
        out = subprocess.run(
            ["ps", "--ppid", str(self.proc.pid), "-o", "pid=,stat="], capture_output=True
        )
        rows = [line.split() for line in out.stdout.decode().splitlines()]
        return [int(row[0]) for row in rows if row and not row[1].startswith("Z")]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def wait_http_ok(url: str, timeout_s: float = 60.0) -> None:
    """GET `url` until it answers 200 (RuntimeError after `timeout_s`)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(url, timeout=2) as resp,
        ):
            if resp.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 within {timeout_s:.0f}s")


def flask(env: dict[str, str], *args: str, timeout_s: float = 120.0) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS` (the operator CLI) against the soak's stores."""
    cmd = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", *args]
    return subprocess.run(
        cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout_s
    )
