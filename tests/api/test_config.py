"""Configuration: defaults, then the settings file, then the environment; bad values stop it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_environment_overrides_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('LEDGER_URL = "http://10.0.0.1:8545"\nSTORE_TIMEOUT_S = 1.5\n')
    monkeypatch.setenv("MINIGRID_SETTINGS", str(settings))
    monkeypatch.setenv("STORE_TIMEOUT_S", "0.5")
    config = load_config()
    assert config["LEDGER_URL"] == "http://10.0.0.1:8545"
    assert config["STORE_TIMEOUT_S"] == 0.5


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("MONGO_URL", "redis://x", "MONGO_URL"),
        ("STORE_TIMEOUT_S", "soon", "STORE_TIMEOUT_S"),
        ("TX_WAIT_S", "0", "TX_WAIT_S must be a positive"),
        ("PAYMENT_WAIT_S", "-1", "PAYMENT_WAIT_S must be a positive"),
        ("FEE_CAP_WEI", "0", "FEE_CAP_WEI must be a positive"),
        ("FEE_CAP_WEI", "1.5", "FEE_CAP_WEI"),
        ("CONFIRMATIONS", "-1", "CONFIRMATIONS must be"),
        ("OPERATOR_KEY", "0x12", "OPERATOR_KEY"),
    ],
)
def test_bad_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, message: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        load_config()


def test_unknown_key_in_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('DATABSE_URL = "sqlite:///x"\n')
    monkeypatch.setenv("MINIGRID_SETTINGS", str(settings))
    with pytest.raises(ConfigError, match="DATABSE_URL"):
        load_config()


def test_service_refuses_to_start_with_one_line() -> None:
    env = {**os.environ, "DATABASE_URL": "mysql://nope"}
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0
    assert "invalid configuration: DATABASE_URL" in done.stderr
