"""The dbt seeds (policies, tiers, holidays, schedules) read from Python: the generator's truth and
the quality suites take the same rules the marts are built from."""

from __future__ import annotations

import csv
from pathlib import Path

from warehouse.settings import SEEDS_DIR


def read_seed(name: str, seeds_dir: Path = SEEDS_DIR) -> list[dict[str, str]]:
    """Every row of `seeds_dir/<name>.csv` as a dict of strings (blank cells are '')."""
    with (seeds_dir / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
