"""Configuration: defaults, then an optional settings file, then environment variables."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


class ConfigError(Exception):
    """Configuration that cannot start the service; the message is one clear line."""


DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": f"sqlite:///{VAR / 'minigrid.db'}",
    "MONGO_URL": f"sqlite:///{VAR / 'documents.db'}",
    "MONGO_SNAPSHOTS_DB": "minigrid_snapshots",
    "MONGO_TRANSACTIONS_DB": "minigrid_transactions",
    "LEDGER_URL": "http://127.0.0.1:8545",
    "OPERATOR_KEY": ANVIL_DEV_KEY,
    "SECRET_KEY": "dev-only-not-secret",
    "STORE_TIMEOUT_S": 2.0,
    "TX_WAIT_S": 300.0,
    "PAYMENT_WAIT_S": 5.0,
    "FEE_CAP_WEI": 500 * 10**9,
    "CONFIRMATIONS": 0,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "WRITE_RATE_LIMIT": "600/minute",
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOG_LEVEL": "INFO",
    "KEY_CACHE_S": 2.0,
    "QUEUE_URL": "",  # empty: REDIS_URL when set, else queue_url() below
    "REDIS_URL": "",
    "QUEUE_NAME": "minigrid",
    "MQTT_URL": "",  # empty: no broker (`make run` starts an embedded one and sets it)
    "WEBHOOK_TIMEOUT_S": 5.0,
    "WEBHOOK_CONCURRENCY": 8,
    "WEBHOOK_ALLOWED_NETWORKS": "",
}

# Settings read from the environment, with the type each one must parse as.
TYPES: dict[str, type] = {
    "DATABASE_URL": str,
    "MONGO_URL": str,
    "MONGO_SNAPSHOTS_DB": str,
    "MONGO_TRANSACTIONS_DB": str,
    "LEDGER_URL": str,
    "OPERATOR_KEY": str,
    "SECRET_KEY": str,
    "STORE_TIMEOUT_S": float,
    "TX_WAIT_S": float,
    "PAYMENT_WAIT_S": float,
    "FEE_CAP_WEI": int,
    "CONFIRMATIONS": int,
    "MAX_CONTENT_LENGTH": int,
    "WRITE_RATE_LIMIT": str,
    "RATELIMIT_STORAGE_URI": str,
    "LOG_LEVEL": str,
    "KEY_CACHE_S": float,
    "QUEUE_URL": str,
    "REDIS_URL": str,
    "QUEUE_NAME": str,
    "MQTT_URL": str,
    "WEBHOOK_TIMEOUT_S": float,
    "WEBHOOK_CONCURRENCY": int,
    "WEBHOOK_ALLOWED_NETWORKS": str,
}


def queue_url(config: dict[str, Any]) -> str:
    """The task queue's URL: QUEUE_URL, else REDIS_URL, else a SQLite file beside the registry
    when that is a SQLite file (var/queue.db by default), else var/queue.db."""
    if config.get("QUEUE_URL"):
        return str(config["QUEUE_URL"])
    if config.get("REDIS_URL"):
        return str(config["REDIS_URL"])
    database = str(config["DATABASE_URL"])
    if database.startswith("sqlite:///") and database != "sqlite:///:memory:":
        return f"sqlite:///{Path(database.removeprefix('sqlite:///')).parent / 'queue.db'}"
    return f"sqlite:///{VAR / 'queue.db'}"


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge defaults, the file named by MINIGRID_SETTINGS, the environment and overrides."""
    config = dict(DEFAULTS)
    settings_file = os.environ.get("MINIGRID_SETTINGS")
    if settings_file:
        config.update(_read_settings_file(Path(settings_file)))
    for key, kind in TYPES.items():
        if key in os.environ:
            config[key] = _parse(key, os.environ[key], kind)
    config.update(overrides or {})
    validate(config)
    config["QUEUE_URL"] = queue_url(config)
    return config


def _read_settings_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"MINIGRID_SETTINGS names {path}, which does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"settings file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(TYPES))
    if unknown:
        raise ConfigError(f"settings file {path} has unknown keys: {', '.join(unknown)}")
    return data


def _parse(key: str, raw: str, kind: type) -> Any:
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{key}={raw!r} is not a valid {kind.__name__}") from None


OPTIONAL_URLS = frozenset(
    {"QUEUE_URL", "REDIS_URL", "MQTT_URL"}
)  # empty: the default described above


def validate(config: dict[str, Any]) -> None:
    """Raise ConfigError naming the first bad setting."""
    schemes = {
        "DATABASE_URL": ("sqlite:", "postgresql"),
        "MONGO_URL": ("sqlite:", "mongodb:", "mongodb+srv:", "mongomock:"),
        "LEDGER_URL": ("http:", "https:", "eth-tester:"),
        "QUEUE_URL": ("sqlite:", "redis:", "rediss:"),
        "REDIS_URL": ("redis:", "rediss:"),
        "MQTT_URL": ("mqtt:",),
    }
    for key, allowed in schemes.items():
        value = str(config.get(key, ""))
        if not value and key in OPTIONAL_URLS:
            continue
        if not value.startswith(allowed):
            raise ConfigError(f"{key}={value!r} must start with one of {', '.join(allowed)}")
    _validate_webhooks(config)
    for name in ("STORE_TIMEOUT_S", "TX_WAIT_S", "PAYMENT_WAIT_S"):
        if float(config[name]) <= 0:
            raise ConfigError(f"{name} must be a positive number of seconds")
    if int(config["FEE_CAP_WEI"]) <= 0:
        raise ConfigError("FEE_CAP_WEI must be a positive number of wei per gas")
    if int(config["CONFIRMATIONS"]) < 0:
        raise ConfigError("CONFIRMATIONS must be a number of blocks, 0 or more")
    if not 0 <= float(config["KEY_CACHE_S"]) <= 60:
        raise ConfigError("KEY_CACHE_S must be between 0 and 60 seconds")
    key = str(config["OPERATOR_KEY"])
    if not (key.startswith("0x") and len(key) == 66):
        raise ConfigError("OPERATOR_KEY must be a 0x-prefixed 32-byte hex private key")


def _validate_webhooks(config: dict[str, Any]) -> None:
    """Webhook delivery bounds and the private networks deliveries may reach."""
    import ipaddress

    if not 0 < float(config["WEBHOOK_TIMEOUT_S"]) <= 60:
        raise ConfigError("WEBHOOK_TIMEOUT_S must be between 0 and 60 seconds")
    if not 1 <= int(config["WEBHOOK_CONCURRENCY"]) <= 64:
        raise ConfigError("WEBHOOK_CONCURRENCY must be between 1 and 64")
    for net in filter(None, str(config["WEBHOOK_ALLOWED_NETWORKS"]).replace(" ", "").split(",")):
        try:
            ipaddress.ip_network(net)
        except ValueError:
            raise ConfigError(f"WEBHOOK_ALLOWED_NETWORKS has {net!r}, not a CIDR network") from None
