"""The README's household day is the simulator's output today (regenerate it if this fails)."""

from __future__ import annotations

from pathlib import Path

from tests.api.household_day import generate

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- household-day:start -->\n", "\n<!-- household-day:end -->"


def test_the_readme_shows_the_simulated_household_day() -> None:
    text = README.read_text()
    shown = text[text.index(START) + len(START) : text.index(END)]
    assert shown == generate(), "run `.venv/bin/python -m tests.api.household_day` and paste it"
