"""Every setting the project reads from the environment, typed, in one place.

Precedence: a command-line flag, then the environment, then the default here. The edges (a CLI
command, a DAG task, the demo, a benchmark) call `load()` once and hand what they need down as
arguments; nothing below the edge reads `os.environ`.
"""

from __future__ import annotations

import csv
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
# dbt's own login (a deployment's absensi_dbt: the transform role only); unset = ABSENSI_DATABASE_URL.
ENV_DBT_DATABASE_URL = "ABSENSI_DBT_DATABASE_URL"
ENV_HOME = "ABSENSI_HOME"
ENV_TIMEZONE = "ABSENSI_TIMEZONE"
ENV_REGENCY_NAME = "ABSENSI_REGENCY_NAME"
# The regency profile (dbt seed regency_profiles: oku, hsu, tpp) picking the policy per employee type.
ENV_REGENCY_PROFILE = "ABSENSI_REGENCY_PROFILE"
ENV_PULL_TIMEOUT = "ABSENSI_PULL_TIMEOUT"
ENV_UDP_PROBE_TIMEOUT = "ABSENSI_UDP_PROBE_TIMEOUT"
ENV_TRANSFORM_WAIT = "ABSENSI_TRANSFORM_WAIT"
ENV_INBOX = "ABSENSI_INBOX"
ENV_OUTPUT = "ABSENSI_OUTPUT"
ENV_RETRY_DELAY = "ABSENSI_RETRY_DELAY_SECONDS"
ENV_DBT_THREADS = "ABSENSI_DBT_THREADS"
COMMKEY_PREFIX = "ABSENSI_COMMKEY_"
ENV_ADMS_HOST = "ABSENSI_ADMS_HOST"
ENV_ADMS_PORT = "ABSENSI_ADMS_PORT"
ENV_ADMS_MAX_BODY = "ABSENSI_ADMS_MAX_BODY"
ENV_ADMS_TRUSTED_PROXIES = "ABSENSI_ADMS_TRUSTED_PROXIES"
ENV_ADMS_DELAY = "ABSENSI_ADMS_DELAY"
ENV_ADMS_ERROR_DELAY = "ABSENSI_ADMS_ERROR_DELAY"
ADMS_TOKEN_PREFIX = "ABSENSI_ADMS_TOKEN_"

DEFAULT_PULL_TIMEOUT = 20.0  # seconds without an answer before a device counts as stalled
DEFAULT_UDP_PROBE_TIMEOUT = 2.0  # seconds a UDP device has to answer one CMD_CONNECT before the pull
DEFAULT_TRANSFORM_WAIT = 1800.0  # seconds; a full refresh of a year takes minutes, not half an hour
DEFAULT_RETRY_DELAY = 300  # seconds between Airflow task retries
DEFAULT_DBT_THREADS = 2
DEFAULT_ADMS_PORT = 8081
DEFAULT_ADMS_MAX_BODY = 8 * 1024 * 1024  # bytes of one device post (a backlog chunk is far smaller)
DEFAULT_ADMS_DELAY = 10  # seconds between a push device's heartbeats (its command polls)
DEFAULT_ADMS_ERROR_DELAY = 30  # seconds a push device waits before resending after an error


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
class AdmsSettings:
    """The ADMS push receiver (`absensi adms serve`): where it listens and what it tells devices."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_ADMS_PORT
    max_body_bytes: int = DEFAULT_ADMS_MAX_BODY
    # Peers whose X-Forwarded-For is believed (the TLS reverse proxy); comma-separated IPs/CIDRs.
    trusted_proxies: str = "127.0.0.1"
    delay: int = DEFAULT_ADMS_DELAY
    error_delay: int = DEFAULT_ADMS_ERROR_DELAY
    tokens: Mapping[str, str] = field(default_factory=dict)  # ABSENSI_ADMS_TOKEN_* -> shared token

    def token(self, ref: str) -> str:
        """The shared token in the environment variable a push device's registry row names."""
        if not ref.startswith(ADMS_TOKEN_PREFIX):
            raise UserError(f"push_token_ref {ref!r} harus nama variabel {ADMS_TOKEN_PREFIX}…")
        return self.tokens.get(ref, "").strip()


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
    adms: AdmsSettings = field(default_factory=AdmsSettings)
    regency_name: str = ""  # shown on reports and exports, e.g. "Kabupaten Ogan Komering Ulu"
    dbt_database_url: str | None = None  # the same warehouse as dbt's login; None = database_url's
    # seed regency_profiles' profile that picks the policies ('' = seed policy_assignment)
    regency_profile: str = ""

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
        dbt_database_url=env.get(ENV_DBT_DATABASE_URL) or None,
        home=home,
        timezone=env.get(ENV_TIMEZONE) or DEFAULT_TIMEZONE,
        regency_name=(env.get(ENV_REGENCY_NAME) or "").strip(),
        regency_profile=_regency_profile(env),
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
        adms=AdmsSettings(
            host=env.get(ENV_ADMS_HOST) or "127.0.0.1",
            port=_whole(env, ENV_ADMS_PORT, DEFAULT_ADMS_PORT, 1, 65535),
            max_body_bytes=_whole(env, ENV_ADMS_MAX_BODY, DEFAULT_ADMS_MAX_BODY, 1024, 1 << 30),
            trusted_proxies=env.get(ENV_ADMS_TRUSTED_PROXIES, "127.0.0.1").strip(),
            delay=_whole(env, ENV_ADMS_DELAY, DEFAULT_ADMS_DELAY, 1, 3600),
            error_delay=_whole(env, ENV_ADMS_ERROR_DELAY, DEFAULT_ADMS_ERROR_DELAY, 1, 3600),
            tokens={k: v for k, v in env.items() if k.startswith(ADMS_TOKEN_PREFIX)},
        ),
    )


def regency_profiles(seeds_dir: Path | None = None) -> list[str]:
    """The profiles seed regency_profiles ships (oku, hsu, tpp), in file order."""
    path = (seeds_dir or SEEDS_DIR) / "regency_profiles.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(dict.fromkeys(row["profile"] for row in csv.DictReader(handle)))


def _regency_profile(env: Mapping[str, str]) -> str:
    """ABSENSI_REGENCY_PROFILE, one of seed regency_profiles' profiles ('' unset: policy_assignment)."""
    raw = env.get(ENV_REGENCY_PROFILE, "").strip().lower()
    if raw and raw not in regency_profiles():
        known = ", ".join(regency_profiles())
        raise UserError(
            f"{ENV_REGENCY_PROFILE}={raw!r} tidak dikenal (pilih: {known}; dbt/seeds/regency_profiles.csv)"
        )
    return raw


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A number of seconds from variable `name` (unset or blank: `default`)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise UserError(f"{name}={raw!r} bukan angka detik") from exc


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole number from variable `name` between `low` and `high` (unset or blank: `default`)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise UserError(f"{name}={raw!r} harus bilangan bulat {low}–{high}")
    return int(raw)
