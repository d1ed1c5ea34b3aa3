"""Where things live and which settings are in force (flag > environment > default)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEZONE = "Asia/Jakarta"


def state_dir() -> Path:
    """Local state (embedded database, generated demo data); never committed."""
    return Path(os.environ.get("ABSENSI_HOME", PROJECT_ROOT / ".absensi")).resolve()


def regency_timezone() -> str:
    return os.environ.get("ABSENSI_TIMEZONE", DEFAULT_TIMEZONE)
