"""Where published outputs (offline dashboards, monthly reports, finance exports) are written."""

from __future__ import annotations

import os
from pathlib import Path

from absensi.config import state_dir

ENV_OUTPUT = "ABSENSI_OUTPUT"


def output_dir() -> Path:
    """`$ABSENSI_OUTPUT`, default `.absensi/out` (production mounts a volume there)."""
    return Path(os.environ.get(ENV_OUTPUT) or state_dir() / "out").resolve()


def dashboards_dir() -> Path:
    return output_dir() / "dashboards"


def month_dir(month: str) -> Path:
    """Outputs of one closed month, e.g. `out/2026-10/`."""
    return output_dir() / month
