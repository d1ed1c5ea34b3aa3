"""Warehouse reads shared by the offline render, the monthly report and the exports."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

from absensi.close import parse_month  # noqa: F401  (re-exported: one month parser for every output)
from absensi.errors import UserError
from dashboards.spec import Card
from dashboards.sqltemplate import to_psycopg

BULAN = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip


def month_label(month: date) -> str:
    return f"{BULAN[month.month - 1]} {month.year}"


def relation_exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (name,)).fetchone()[0]


def require_marts(conn: psycopg.Connection, *names: str) -> None:
    missing = [n for n in names if not relation_exists(conn, n)]
    if missing:
        raise UserError(
            f"tabel {', '.join(missing)} belum ada di gudang: jalankan dulu `absensi transform` (dbt build)"
        )


def month_is_locked(conn: psycopg.Connection, month: date) -> bool:
    """Locked when the monthly close recorded it in ops.month_lock, or the mart rows say so."""
    if relation_exists(conn, "ops.month_lock"):
        row = conn.execute("select count(*) from ops.month_lock where month = %s", (month,)).fetchone()
        if row[0]:
            return True
    row = conn.execute(
        "select bool_and(is_locked) from marts.fct_allowance_deduction_monthly where month = %s", (month,)
    ).fetchone()
    return bool(row[0])


def run_card(conn: psycopg.Connection, card: Card, values: dict[str, Any]) -> tuple[list[str], list[tuple]]:
    """Run a card's SQL exactly as Metabase would with these filter values."""
    query, params = to_psycopg(card.sql, values)
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            columns = [d.name for d in cur.description]
            return columns, cur.fetchall()
    except psycopg.errors.UndefinedTable as exc:
        conn.rollback()
        raise UserError(
            f"kartu '{card.name}': {str(exc).splitlines()[0]} (jalankan `absensi transform`)"
        ) from exc
