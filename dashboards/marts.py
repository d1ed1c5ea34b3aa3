"""Warehouse reads shared by the offline render, the monthly report and the exports."""

from __future__ import annotations

from typing import Any

import psycopg

from dashboards.spec import Card
from dashboards.sqltemplate import to_psycopg
from warehouse.db import relation_exists
from warehouse.errors import UserError


def require_marts(conn: psycopg.Connection, *names: str) -> None:
    missing = [n for n in names if not relation_exists(conn, n)]
    if missing:
        raise UserError(
            f"tabel {', '.join(missing)} belum ada di gudang: jalankan dulu `absensi transform` (dbt build)"
        )


def run_card(conn: psycopg.Connection, card: Card, values: dict[str, Any]) -> tuple[list[str], list[tuple]]:
    """Run a card's SQL exactly as Metabase would with these filter values."""
    query, params = to_psycopg(card.sql, values)
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            columns = [d.name for d in cur.description or []]
            return columns, cur.fetchall()
    except psycopg.errors.UndefinedTable as exc:
        conn.rollback()
        raise UserError(
            f"kartu '{card.name}': {str(exc).splitlines()[0]} (jalankan `absensi transform`)"
        ) from exc
