"""Every setting the project reads from the environment, typed, in one place.

Precedence: a command-line flag, then the environment, then the default here. The edges (a CLI
command, a DAG task, the demo, a benchmark) call `load()` once and hand what they need down as
arguments; nothing below the edge reads `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
DAGS_FOLDER = PROJECT_ROOT / "dags"
DEFAULT_TIMEZONE = "Asia/Jakarta"

ENV_DATABASE_URL = "ABSENSI_DATABASE_URL"
ENV_HOME = "ABSENSI_HOME"
ENV_TIMEZONE = "ABSENSI_TIMEZONE"
ENV_PULL_TIMEOUT = "ABSENSI_PULL_TIMEOUT"
ENV_UDP_PROBE_TIMEOUT = "ABSENSI_UDP_PROBE_TIMEOUT"
ENV_TRANSFORM_WAIT = "ABSENSI_TRANSFORM_WAIT"
ENV_INBOX = "ABSENSI_INBOX"
ENV_OUTPUT = "ABSENSI_OUTPUT"
ENV_RETRY_DELAY = "ABSENSI_RETRY_DELAY_SECONDS"
ENV_DBT_THREADS = "ABSENSI_DBT_THREADS"
COMMKEY_PREFIX = "ABSENSI_COMMKEY_"

DEFAULT_PULL_TIMEOUT = 20.0  # seconds without an answer before a device counts as stalled
DEFAULT_UDP_PROBE_TIMEOUT = 2.0  # seconds a UDP device has to answer one CMD_CONNECT before the pull
DEFAULT_TRANSFORM_WAIT = 1800.0  # seconds; a full refresh of a year takes minutes, not half an hour
DEFAULT_RETRY_DELAY = 300  # seconds between Airflow task retries
DEFAULT_DBT_THREADS = 2


@dataclass(frozen=True)
class MetabaseSettings:
    """How `absensi dashboards push` reaches Metabase, and how Metabase reaches the warehouse."""

    url: str = ""
    api_key: str = ""
    reader_user: str = "metabase_reader"
    reader_password: str = ""
    warehouse_host: str = "postgres"
    warehouse_port: str = "5432"
    warehouse_db: str = "absensi"
    force_password_update: bool = False


@dataclass(frozen=True)
class Settings:
    database_url: str | None  # an external server; None = the embedded one under `home`
    home: Path  # local state: embedded database, generated demo data, quality docs
    timezone: str  # the regency's IANA timezone (WIB/WITA/WIT)
    pull_timeout: float
    transform_wait: float
    inbox: Path
    output: Path
    retry_delay_seconds: int
    dbt_threads: int
    comm_keys: Mapping[str, str] = field(default_factory=dict)  # ABSENSI_COMMKEY_* -> key
    udp_probe_timeout: float = DEFAULT_UDP_PROBE_TIMEOUT
    metabase: MetabaseSettings = field(default_factory=MetabaseSettings)

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def demo_dir(self) -> Path:
        return self.home / "demo"

    @property
    def quality_docs_dir(self) -> Path:
        return self.home / "quality-docs"

    @property
    def dashboards_dir(self) -> Path:
        return self.output / "dashboards"

    def month_dir(self, month: str) -> Path:
        """Outputs of one closed month, e.g. `out/2026-10/`."""
        return self.output / month

    def comm_key(self, ref: str) -> str:
        """The comm key in the environment variable a device's registry row names ('' = none)."""
        if not ref.startswith(COMMKEY_PREFIX):
            raise UserError(f"comm_key_ref {ref!r} harus nama variabel {COMMKEY_PREFIX}…")
        return self.comm_keys.get(ref, "").strip()


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings in force now (the process environment unless `environ` is given)."""
    env = os.environ if environ is None else environ
    home = Path(env.get(ENV_HOME) or PROJECT_ROOT / ".absensi").resolve()
    return Settings(
        database_url=env.get(ENV_DATABASE_URL) or None,
        home=home,
        timezone=env.get(ENV_TIMEZONE) or DEFAULT_TIMEZONE,
        pull_timeout=_seconds(env, ENV_PULL_TIMEOUT, DEFAULT_PULL_TIMEOUT),
        udp_probe_timeout=_seconds(env, ENV_UDP_PROBE_TIMEOUT, DEFAULT_UDP_PROBE_TIMEOUT),
        transform_wait=_seconds(env, ENV_TRANSFORM_WAIT, DEFAULT_TRANSFORM_WAIT),
        inbox=Path(env.get(ENV_INBOX) or home / "inbox").resolve(),
        output=Path(env.get(ENV_OUTPUT) or home / "out").resolve(),
        retry_delay_seconds=int(_seconds(env, ENV_RETRY_DELAY, DEFAULT_RETRY_DELAY)),
        dbt_threads=int(_seconds(env, ENV_DBT_THREADS, DEFAULT_DBT_THREADS)),
        comm_keys={k: v for k, v in env.items() if k.startswith(COMMKEY_PREFIX)},
        metabase=MetabaseSettings(
            url=env.get("METABASE_URL", ""),
            api_key=env.get("METABASE_API_KEY", ""),
            reader_user=env.get("METABASE_READER_USER", "metabase_reader"),
            reader_password=env.get("METABASE_READER_PASSWORD", ""),
            warehouse_host=env.get("METABASE_WAREHOUSE_HOST", "postgres"),
            warehouse_port=env.get("METABASE_WAREHOUSE_PORT", "5432"),
            warehouse_db=env.get("METABASE_WAREHOUSE_DB", "absensi"),
            force_password_update=env.get("METABASE_READER_FORCE_UPDATE") == "1",
        ),
    )


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A number of seconds from variable `name` (unset or blank: `default`)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise UserError(f"{name}={raw!r} bukan angka detik") from exc
