"""Row-for-row fingerprints of the marts, to prove a change leaves complete months exactly as they were.

`digest(url)` hashes every row of every mart over a fixed list of columns (the columns the marts had
when the golden file was written: a mart may grow columns, the old ones must keep their values).
Columns that depend on the wall clock of the run (batch finish times, "last 24 hours") are left out.

`scenario(server_url, folder)` builds the golden warehouse: a generated OKU regency over February
and March 2026 (holidays, Ramadan), a full build, February locked, then a late sick letter for
February and a late leave for March loaded and an incremental build (so the adjustment mart and the
incremental path are covered too).

    python -m tests.dbt.marts_digest write    # rebuild the scenario and rewrite golden_marts.json
    python -m tests.dbt.marts_digest check    # rebuild it and print the marts that differ
    python -m tests.dbt.marts_digest dump DIR # rebuild it and write every mart as sorted CSV into DIR
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import psycopg

GOLDEN = Path(__file__).with_name("golden_marts.json")
# Columns that change with the wall clock of the run, not with the data.
CLOCK_COLUMNS = {
    "mart_device_health": {"last_success_at", "failed_last_24h"},
    "q_impossible_clock": {"server_local_at_read"},
}
SCENARIO = {
    "employees": 300,
    "devices": 5,
    "start": "2026-02-02",
    "days": 58,
    "seed": 5,
    "regency": "oku",
}


def mart_columns(conn: psycopg.Connection) -> dict[str, list[str]]:
    rows = conn.execute(
        """select table_name, column_name from information_schema.columns
            where table_schema = 'marts' order by table_name, ordinal_position"""
    ).fetchall()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        if column not in CLOCK_COLUMNS.get(table, set()):
            columns.setdefault(table, []).append(column)
    return columns


def digest(url: str, columns: dict[str, list[str]] | None = None) -> dict[str, dict]:
    """{mart: {"columns": [...], "rows": n, "md5": hash of the sorted rows}}."""
    with psycopg.connect(url) as conn:
        columns = columns or mart_columns(conn)
        out = {}
        for table, cols in sorted(columns.items()):
            row_expr = "row(" + ", ".join(f'"{c}"' for c in cols) + ")::text"
            n, md5 = conn.execute(
                f"select count(*), md5(coalesce(string_agg(r, E'\\n' order by r), '')) "
                f"from (select {row_expr} as r from marts.{table}) t"
            ).fetchone()
            out[table] = {"columns": cols, "rows": n, "md5": md5}
    return out


def differences(expected: dict[str, dict], url: str) -> list[str]:
    """Marts whose rows differ from `expected` over the expected columns (a missing mart too)."""
    actual = digest(url, {t: v["columns"] for t, v in expected.items()})
    return [
        f"{t}: {expected[t]['rows']} -> {actual[t]['rows']} rows"
        for t in expected
        if (expected[t]["rows"], expected[t]["md5"]) != (actual[t]["rows"], actual[t]["md5"])
    ]


def dump(url: str, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(url) as conn:
        for table, cols in mart_columns(conn).items():
            select = ", ".join(f'"{c}"' for c in cols)
            rows = conn.execute(f"select {select} from marts.{table} order by {select}").fetchall()
            with (out_dir / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(cols)
                writer.writerows(rows)


@contextmanager
def scenario(server_url: str, folder: Path) -> Iterator[str]:
    """The golden warehouse (see the module doc); yields its URL, dropped afterwards."""
    from tests.conftest import built_regency

    with built_regency(server_url, folder, prefix="golden", unit_tests=False, **SCENARIO) as built:
        _late_data(built.url, folder, built.vars)
        yield built.url


def _late_data(url: str, folder: Path, dbt_vars: dict) -> None:
    """Lock February, then a late sick letter (February) and a late leave (March), rebuilt."""
    from absensi.close import lock_month
    from absensi.transform import run_build
    from ingest.reference import load_reference_file
    from tests.conftest import resolved_settings

    with psycopg.connect(url, autocommit=True) as conn:
        lock_month(conn, date(2026, 2, 1))
        tk = conn.execute(
            """select nip, min(work_date) from marts.fct_attendance_daily where status = 'TK'
                group by nip order by count(*) desc, nip limit 2"""
        ).fetchall()
        march = conn.execute(
            """select nip, min(work_date) from marts.fct_attendance_daily
                where status = 'HADIR' and work_date >= '2026-03-09' group by nip order by nip limit 1"""
        ).fetchall()
        leave_csv = folder / "leave_late.csv"
        with leave_csv.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["nip", "jenis", "mulai", "sampai", "nomor_surat"])
            for nip, day in tk:
                writer.writerow([nip, "SAKIT", day, day, "445/TERLAMBAT/2026"])
            for nip, day in march:
                writer.writerow([nip, "CUTI", day, day, "800/CUTI/2026"])
        load_reference_file(conn, "leave", leave_csv)
    run_build(url, resolved_settings(), vars=dbt_vars, unit_tests=False)


def main(argv: list[str]) -> int:
    from warehouse import settings
    from warehouse.embedded import resolve_url

    command = argv[0] if argv else "check"
    server = resolve_url(settings.load())
    with tempfile.TemporaryDirectory(prefix="golden-") as tmp, scenario(server, Path(tmp)) as url:
        if command == "write":
            GOLDEN.write_text(json.dumps(digest(url), indent=1, sort_keys=True) + "\n", encoding="utf-8")
            print(f"wrote {GOLDEN}")
        elif command == "dump":
            dump(url, Path(argv[1]))
            print(f"dumped to {argv[1]}")
        else:
            diff = differences(json.loads(GOLDEN.read_text(encoding="utf-8")), url)
            print("\n".join(diff) or "identical")
            return 1 if diff else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
