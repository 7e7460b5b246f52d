"""The embedded MQTT broker for `make run`: python -m models.mqtt.embedded [--host] [--port].

aedes (npm, `models/mqtt/broker.mjs` on Node, installed by `make install` beside anvil), MQTT
3.1.1: QoS 0/1/2, persistent sessions (a disconnected client's subscriptions and QoS 1 messages
kept, unacknowledged messages sent again on its return) and retained messages, in memory (a
restart forgets them). Any user name, no password check: a development broker. A client whose
user name is a UUID is a meter and is confined like the README's Mosquitto ACL (its own readings
to publish, its own errors and device commands to read; a forbidden publish closes its
connection, where Mosquitto drops the message). For production use Mosquitto.

`--amqtt` (or no Node/aedes installed) runs the former pure-Python broker, amqtt: same URL, but
about five times the CPU per message, no ACL, unacknowledged QoS 1 messages given up after 5 s,
and it keeps a persistent session's messages only for clients that give a user name.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("broker.mjs")


def aedes_command(host: str, port: int) -> list[str] | None:
    """The Node command line of the aedes broker, or None when Node or aedes is missing."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "aedes").is_dir():
        return None
    return [node, str(SCRIPT), "--host", host, "--port", str(port)]


def broker_config(host: str, port: int) -> dict[str, object]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 0}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": False}},
    }


async def serve(host: str, port: int) -> None:
    """Run amqtt until SIGINT or SIGTERM."""
    from amqtt.broker import Broker

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    broker = Broker(broker_config(host, port))
    await broker.start()
    await stop.wait()
    await broker.shutdown()


def run_amqtt(host: str, port: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("amqtt").setLevel(logging.CRITICAL)  # e.g. every port probe is an "ERROR"
    try:
        import uvloop
    except ImportError:  # not on this platform
        asyncio.run(serve(host, port))
    else:
        uvloop.run(serve(host, port))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m models.mqtt.embedded", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1884)
    parser.add_argument("--amqtt", action="store_true", help="the pure-Python amqtt broker")
    args = parser.parse_args()
    command = None if args.amqtt else aedes_command(args.host, args.port)
    if command is None:
        if not args.amqtt:
            print("mqtt broker: no Node or aedes (make install): amqtt instead", file=sys.stderr)
        run_amqtt(args.host, args.port)
        return
    os.execv(command[0], command)  # the same process: a signal to it stops the broker


if __name__ == "__main__":
    main()
