"""The embedded MQTT broker for `make run` (amqtt, MQTT 3.1.1): python -m models.mqtt.embedded.

Clients must give a user name (any; no password check): amqtt keeps QoS 1 messages for a
disconnected persistent session only when it is not anonymous. Sessions live in memory, and a
QoS 1 message its subscriber has not acknowledged within 5 s is given up (amqtt does not send it
again): a development broker. For production use Mosquitto (README: the ACL that confines each
meter to its own topic). The event loop is uvloop where installed (about 30% less CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from amqtt.broker import Broker


def broker_config(host: str, port: int) -> dict[str, object]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 0}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": False}},
    }


async def serve(host: str, port: int) -> None:
    """Run the broker until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    broker = Broker(broker_config(host, port))
    await broker.start()
    await stop.wait()
    await broker.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m models.mqtt.embedded", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1884)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("amqtt").setLevel(logging.CRITICAL)  # e.g. every port probe is an "ERROR"
    try:
        import uvloop
    except ImportError:  # not on this platform
        asyncio.run(serve(args.host, args.port))
    else:
        uvloop.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
