"""`make run`: migrate, start anvil with state in var/, deploy, bootstrap a key, build the demo
grid in the background (on an empty store), serve gunicorn.

Usage: python -m api.devserver --host 127.0.0.1 --port 8000 --ledger-port 8545 [--var DIR]
       [--no-demo]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any

from api.config import DEFAULTS, ROOT, VAR, ConfigError, load_config
from api.devworkers import start_broker, start_workers, subscribe_help

STATE_FILE = "anvil-state.json"
FLASK = ".venv/bin/flask --app wsgi"
GUNICORN_FLAGS = ("-w", "2", "--graceful-timeout", "10", "--no-control-socket")


def child_settings(config: dict[str, Any], var: Path, ledger_port: int) -> dict[str, str]:
    """Store URLs for the children: defaults move into `var`, explicit settings are kept."""
    out = {
        key: str(config[key]) for key in ("DATABASE_URL", "MONGO_URL", "LEDGER_URL", "QUEUE_URL")
    }
    if out["DATABASE_URL"] == DEFAULTS["DATABASE_URL"]:
        out["DATABASE_URL"] = f"sqlite:///{var / 'minigrid.db'}"
    if out["MONGO_URL"] == DEFAULTS["MONGO_URL"]:
        out["MONGO_URL"] = f"sqlite:///{var / 'documents.db'}"
    if out["QUEUE_URL"] == f"sqlite:///{VAR / 'queue.db'}":
        out["QUEUE_URL"] = f"sqlite:///{var / 'queue.db'}"
    if out["LEDGER_URL"] == DEFAULTS["LEDGER_URL"]:
        out["LEDGER_URL"] = f"http://127.0.0.1:{ledger_port}"
    return out


def uses_local_anvil(config: dict[str, Any]) -> bool:
    """True when no LEDGER_URL was configured, so the devserver runs its own anvil."""
    return bool(config["LEDGER_URL"] == DEFAULTS["LEDGER_URL"])


def ensure_deployment(container: Any) -> str | None:
    """Deploy Settlement on first run; if the recorded contract vanished, say so and keep it.

    A chain reset is the operator's call (`flask ledger deploy`); readiness reports it meanwhile.
    """
    from models.services.settlement.ledger_status import deploy_contract, recorded_contract

    address = recorded_contract(container)
    if address is None:
        address = deploy_contract(container)
        print(f"deployed Settlement at {address} on chain {container.chain.chain_id}", flush=True)
    elif not container.chain.has_code(address):
        print(
            f"WARNING: no contract at {address}: the chain was reset; "
            "run `flask ledger deploy` (readiness stays 503 until then)",
            flush=True,
        )
        return None
    return address


def ensure_admin_key(container: Any) -> str | None:
    """Create an admin key if none exists; return its secret (shown once), else None."""
    from models.services import keys as key_service

    with container.uow() as uow:
        return key_service.ensure_admin_key(uow)


def prepare(config: dict[str, Any]) -> str | None:
    """Deploy the contract if needed and bootstrap the admin key, in this process."""
    from api import create_app

    app = create_app(config)
    container = app.extensions["minigrid"]
    try:
        ensure_deployment(container)
        return ensure_admin_key(container)
    finally:
        container.close()


def build_demo_in_background(config: dict[str, Any]) -> threading.Thread:
    """Create the demo grid on an empty store, or bring an existing one up to now, in a thread
    (the API starts meanwhile); print what happens and, when done, how to settle last month."""
    thread = threading.Thread(target=_demo, args=(config,), name="demo", daemon=True)
    thread.start()
    return thread


def _demo(config: dict[str, Any]) -> None:
    from api import create_app
    from api.demo_cli import demo_wallets, report_lines
    from models.services.demo import build_demo, find_demo, is_empty

    began = time.monotonic()
    container = create_app(config).extensions["minigrid"]
    try:
        if find_demo(container) is not None:
            say("demo grid: bringing it up to now in the background")
        elif is_empty(container):
            say(
                "demo grid: building it in the background (40 prosumers, simulated and closed "
                "from the start of last month; `make run DEMO=0` skips it); the API answers "
                "meanwhile"
            )
        else:
            say(f"demo grid: none (the store has other grids); create it: {FLASK} demo")
            return
        report = build_demo(container, demo_wallets(), say=lambda line: say(f"demo grid: {line}"))
        for line in report_lines(report, time.monotonic() - began):
            say(line)
    except Exception as exc:  # the API keeps serving; the demo can be built later
        say(f"demo grid: failed ({type(exc).__name__}: {exc}); retry: {FLASK} demo")
    finally:
        container.close()


def say(line: str) -> None:
    print(line, flush=True)


def start_gunicorn(host: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start `gunicorn -w 2 -b HOST:PORT wsgi:app` in its own session (we forward the signals)."""
    args = [sys.executable, "-m", "gunicorn", *GUNICORN_FLAGS, "-b", f"{host}:{port}", "wsgi:app"]
    return subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    """Poll `url` until it answers 200; RuntimeError if the server exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 within {timeout_s:.0f}s")


def stop_process(proc: subprocess.Popen[bytes], timeout_s: float = 15.0) -> None:
    """SIGTERM a child (gunicorn stops its workers gracefully); SIGKILL if it hangs."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m api.devserver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--ledger-port", type=int, default=8545)
    parser.add_argument("--mqtt-port", type=int, default=1884, help="embedded MQTT broker")
    parser.add_argument("--var", type=Path, default=VAR, help="data directory (default var/)")
    parser.add_argument(
        "--no-demo",
        dest="demo",
        action="store_false",
        help="do not create the demo grid on an empty store (nor bring one up to now)",
    )
    return parser


def _stop_event() -> threading.Event:
    """An event set by SIGINT or SIGTERM."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


def serve(args: argparse.Namespace, config: dict[str, Any], stop: threading.Event) -> int:
    """Run anvil and gunicorn until a signal arrives or one of them exits."""
    from migrations.runner import upgrade
    from models.bootstrap import local_chain_node

    start_anvil, stop_anvil = local_chain_node()
    local = uses_local_anvil(config)
    env = child_settings(config, args.var, args.ledger_port)
    config = {**config, **env}
    upgrade(env["DATABASE_URL"])
    if args.demo:  # needs no chain: it runs while anvil, the contract and gunicorn start
        build_demo_in_background(config)
    anvil = start_anvil(args.ledger_port, args.var / STATE_FILE) if local else None
    children: list[subprocess.Popen[bytes]] = [anvil] if anvil else []
    try:
        secret = prepare(config)
        if secret:
            print(f"first admin key (shown once, keep it): {secret}", flush=True)
        else:
            print(f"an admin key exists; another: {FLASK} keys create --role admin", flush=True)
        mqtt_url, broker = start_broker(config, args.mqtt_port)
        children += [broker] if broker else []
        children += start_workers(env, mqtt_url, args.mqtt_port)
        web = start_gunicorn(args.host, args.port, env)
        children.append(web)
        base = f"http://{'127.0.0.1' if args.host == '0.0.0.0' else args.host}:{args.port}"
        wait_ready(f"{base}/health/ready", web)
        print(subscribe_help(base, mqtt_url), flush=True)
        print(f"ready: Swagger UI {base}/swagger-ui  health {base}/health/ready", flush=True)
        while not stop.wait(0.2):
            if any(child.poll() is not None for child in children):
                print("a child process exited; stopping", file=sys.stderr, flush=True)
                return 1
        return 0
    finally:
        for child in reversed(children):
            stop_anvil(child) if child is anvil else stop_process(child)
        print("stopped (data kept in " + str(args.var) + ")", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `make run`."""
    args = _parser().parse_args(argv)
    args.var = args.var.resolve()
    args.var.mkdir(parents=True, exist_ok=True)
    stop = _stop_event()
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        return serve(args, config, stop)
    except Exception as exc:  # one clear line instead of a traceback at start-up
        print(f"devserver: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
