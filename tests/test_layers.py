"""The house rules that an import graph cannot show: below the edge nothing reads the environment
(settings come in as arguments) and nothing starts a database server. The floors themselves are
import-linter contracts in pyproject.toml (`make lint`); this test runs them too."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from warehouse.settings import PROJECT_ROOT

PARTS = ("ingest", "expectations", "dashboards", "warehouse")
# The one reader of ABSENSI_* settings, and the embedded server's own XDG runtime directory.
ALLOWED = {Path("warehouse/settings.py"), Path("warehouse/embedded.py")}
ENV_READ = re.compile(r"os\.environ|os\.getenv|settings\.load\(|resolve_url\(")


def test_below_the_edge_nothing_reads_the_environment() -> None:
    offenders = []
    for part in PARTS:
        for path in sorted((PROJECT_ROOT / part).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT)
            if relative in ALLOWED:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if "a switch of GX itself" in line:  # telling a third-party library to stay offline
                    continue
                if ENV_READ.search(line) and not line.lstrip().startswith("#"):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint_imports)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout
