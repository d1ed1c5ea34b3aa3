"""The `absensi` command. Each area keeps its commands in `absensi/commands/<area>.py`; all of them
call the package functions the Airflow DAGs call too."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from absensi.commands import (
    adms,
    dashboards,
    db,
    demo,
    devices,
    generate,
    orchestration,
    quality,
    reference,
    transform,
)
from warehouse.errors import UserError

app = typer.Typer(
    name="absensi",
    help="Gudang data absensi ASN: mesin ZKTeco → PostgreSQL → dbt → Great Expectations → Metabase.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

app.add_typer(db.app, name="db")
app.command("load")(reference.load)
app.command("load-folder")(reference.load_folder)
app.command("pull")(devices.pull)
app.command("simulate")(devices.simulate)
app.command("import-usb")(devices.import_usb)
app.add_typer(adms.app, name="adms")
app.command("transform")(transform.transform)
app.command("check")(quality.check)
app.add_typer(dashboards.dashboards_app, name="dashboards")
app.add_typer(dashboards.report_app, name="report")
app.add_typer(dashboards.export_app, name="export")
app.command("generate")(generate.generate_cmd)
app.command("inbox")(orchestration.inbox)
app.command("close-month")(orchestration.close_month_cmd)
app.command("demo")(demo.demo)

err_console = Console(stderr=True)


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
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise


if __name__ == "__main__":
    main()
