"""The `absensi` command. Each area keeps its commands in `absensi/commands/<area>.py`; all of them
call the package functions the Airflow DAGs call too."""

from __future__ import annotations

import re
import sys

import typer
from rich.console import Console
from rich.markup import escape

from absensi.commands import (
    adms,
    batches,
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
from warehouse.outputs import os_error_message

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
app.add_typer(batches.batch_app, name="batch")
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

err_console = Console(stderr=True, emoji=False)  # "FILE:100: ..." must not become an emoji

# pydantic's words in typer's value errors, in the operators' language
_VALUE_WORDS = [
    (re.compile(r"Input should be a valid integer.*"), "harus bilangan bulat"),
    (re.compile(r"Input should be a valid number.*"), "harus angka"),
    (re.compile(r"Input should be a valid boolean.*"), "harus true atau false"),
    (re.compile(r"Input should be a valid date.*"), "harus tanggal YYYY-MM-DD"),
    (re.compile(r"Input should be greater than or equal to (\S+)"), r"paling kecil \1"),
    (re.compile(r"Input should be greater than (\S+)"), r"harus lebih dari \1"),
    (re.compile(r"Input should be less than or equal to (\S+)"), r"paling besar \1"),
    (re.compile(r"Input should be less than (\S+)"), r"harus kurang dari \1"),
    (re.compile(r"(.+) is not one of (.+)\.?$"), r"\1 bukan salah satu dari \2"),
    (re.compile(r"[Pp]ath '(.+)' does not exist\.?"), r"berkas/folder '\1' tidak ada"),
]


def _hint(exc: Exception) -> str:
    param = getattr(exc, "param", None)
    ctx = getattr(exc, "ctx", None)
    if getattr(exc, "param_hint", None):
        hint = exc.param_hint  # type: ignore[attr-defined]
        return " / ".join(hint) if isinstance(hint, list | tuple) else str(hint)
    if param is not None:
        opts = [o for o in getattr(param, "opts", []) if o.startswith("--")] or getattr(param, "opts", [])
        if getattr(param, "param_type_name", "") == "argument":
            return (param.name or "").upper()
        return opts[0] if opts else str(param.get_error_hint(ctx))
    return ""


def usage_message(exc: Exception) -> str:
    """typer's usage error (unknown command or option, missing or bad value) as one Indonesian line."""
    kind = type(exc).__name__
    message = getattr(exc, "message", str(exc)) or ""
    if kind == "NoSuchOption":
        text = f"opsi {exc.option_name} tidak dikenal"  # type: ignore[attr-defined]
        possibilities = sorted(getattr(exc, "possibilities", None) or [])
        if possibilities:
            text += f" (maksud Anda {', '.join(possibilities)}?)"
    elif kind == "MissingParameter":
        param = getattr(exc, "param", None)
        what = "argumen" if getattr(param, "param_type_name", "") == "argument" else "opsi"
        text = f"{what} {_hint(exc)} wajib diisi"
    elif kind == "BadParameter":
        detail = message
        for pattern, words in _VALUE_WORDS:
            if pattern.search(detail):
                detail = pattern.sub(words, detail)
                break
        text = f"nilai tidak sah untuk {_hint(exc)}: {detail}".rstrip(": ")
    elif kind == "BadOptionUsage" and "requires an argument" in message:
        text = f"opsi {exc.option_name} perlu nilai"  # type: ignore[attr-defined]
    elif message.startswith("Missing command"):
        text = "subperintah belum disebut"
    elif match := re.match(r"No such command '(.+)'", message):
        text = f"perintah '{match.group(1)}' tidak dikenal"
    elif match := re.match(r"Got unexpected extra argument(?:\(s\)|s)? \((.+)\)", message):
        text = f"argumen berlebih: {match.group(1)}"
    else:
        text = f"pemakaian salah: {message}"
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else command_path(sys.argv[1:])
    return f"{text}; lihat `{path} --help`"


def command_path(args: list[str]) -> str:
    """`absensi` and the (sub)commands named at the start of `args`: click's parser raises some
    usage errors (an option without its value) without the context that knows it."""
    command = typer.main.get_command(app)  # typer's own (vendored) click: duck-typed here
    path = ["absensi"]
    for arg in args:
        sub = (getattr(command, "commands", None) or {}).get(arg)
        if sub is None:
            break
        command, path = sub, [*path, arg]
    return " ".join(path)


def main() -> None:
    try:
        # Outside standalone mode click returns a command's `typer.Exit(code)` instead of exiting.
        code = app(standalone_mode=False, prog_name="absensi")
        if isinstance(code, int) and code:
            sys.exit(code)
    except UserError as exc:
        # Multi-line errors list every bad row first; the last line says what happened overall.
        *details, summary = str(exc).splitlines() or [type(exc).__name__]
        for line in details:
            err_console.print(line, highlight=False, soft_wrap=True, markup=False)
        err_console.print(f"[bold red]galat:[/] {escape(summary)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except OSError as exc:
        # A file the command writes or reads (a full disk, a folder made read-only meanwhile): one
        # line naming it. Other OS errors (sockets) carry no file name and stay a bug report.
        if exc.filename is None:
            raise
        err_console.print(
            f"[bold red]galat:[/] {escape(os_error_message(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("dibatalkan")
        sys.exit(130)
    except Exception as exc:
        # Usage errors (unknown command, bad option) come from typer's vendored click.
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            if type(exc).__name__ == "NoArgsIsHelpError":
                show()  # the help text itself
            else:
                err_console.print(
                    f"[bold red]galat:[/] {escape(usage_message(exc))}", highlight=False, soft_wrap=True
                )
            sys.exit(code)
        raise


if __name__ == "__main__":
    main()
