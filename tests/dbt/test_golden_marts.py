"""Complete months keep giving exactly the numbers they gave: every mart of the golden scenario
(tests/dbt/marts_digest.py) hashed row for row against tests/dbt/golden_marts.json.

A deliberate change of a rule's outcome rewrites the golden file (`python -m tests.dbt.marts_digest
write`) in the same commit, with the reason in its message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.dbt.marts_digest import GOLDEN, differences, scenario


@pytest.mark.slow
def test_marts_are_identical_to_the_golden_digest(pg_server_url: str, tmp_path: Path) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert expected["fct_attendance_daily"]["rows"] > 10_000
    assert expected["fct_allowance_adjustment"]["rows"] > 0
    with scenario(pg_server_url, tmp_path) as url:
        assert differences(expected, url) == []
