"""The `absensi` command. Each area registers its subcommands; all of them call package functions
that the Airflow DAGs call too."""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console
from rich.markup import escape

from absensi.errors import UserError

app = typer.Typer(
    name="absensi",
    help="Gudang data absensi ASN: mesin ZKTeco → PostgreSQL → dbt → Great Expectations → Metabase.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# One module per area under absensi/commands/, each exposing register(app).
COMMAND_MODULES = [
    "absensi.commands.db",
    "absensi.commands.reference",
    "absensi.commands.devices",
    "absensi.commands.dashboards",
    "absensi.commands.quality",
    "absensi.commands.generate",
    "absensi.commands.orchestration",
    "absensi.commands.demo",
    "absensi.commands.transform",
]

err_console = Console(stderr=True)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_all()


def main() -> None:
    try:
        # Outside standalone mode click returns a command's `typer.Exit(code)` instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except UserError as exc:
        # Multi-line errors list every bad row first; the last line says what happened overall.
        *details, summary = str(exc).splitlines() or [type(exc).__name__]
        for line in details:
            err_console.print(line, highlight=False, soft_wrap=True, markup=False)
        err_console.print(f"[bold red]galat:[/] {escape(summary)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("dibatalkan")
        sys.exit(130)
    except Exception as exc:
        # Usage errors (unknown command, bad option) come from typer's vendored click: show them
        # as click would in standalone mode, without a traceback.
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
