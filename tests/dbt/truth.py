"""Compare the warehouse's marts with the generator's truth files (docs/CONTRACTS.md)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import psycopg

DAILY_FIELDS = (
    "status",
    "tl_tier",
    "psw_tier",
    "late_minutes",
    "early_minutes",
    "deduction_pct",
    "first_in",
    "last_out",
)
MONTHLY_FIELDS = (
    "workdays",
    "days_hadir",
    "days_tk",
    "days_leave",
    "days_menunggu",
    "total_pct_uncapped",
    "total_pct",
    "base_amount",
    "deduction_amount",
    "net_amount",
)
# Issue 20: the parts of the money, and whether the month is final (a locked row carries no parts).
MONTHLY_PART_FIELDS = (
    "discipline_amount",
    "discipline_deduction",
    "performance_amount",
    "sanction_deduction",
    "performance_score",
    "is_complete",
)


def _norm(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def _truth_norm(field: str, value: str) -> str:
    if field in ("deduction_pct", "total_pct_uncapped", "total_pct", "performance_score") and value:
        return f"{Decimal(value):.2f}"
    return value


def daily_differences(conn: psycopg.Connection, truth_csv: Path) -> list[str]:
    with truth_csv.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        truth = {(r["nip"], r["work_date"]): r for r in reader}
        # a regency generated with rosters (issue 14) also has the shift of every day
        fields = DAILY_FIELDS + (("shift_code",) if "shift_code" in (reader.fieldnames or ()) else ())
    rows = conn.execute(
        f"select nip, work_date::text, {', '.join(fields)} from marts.fct_attendance_daily"
    ).fetchall()
    ours = {(r[0], r[1]): dict(zip(fields, r[2:], strict=True)) for r in rows}
    diffs = []
    for key in sorted(set(truth) - set(ours)):
        diffs.append(f"{key}: missing in fct_attendance_daily (truth {truth[key]['status']})")
    for key in sorted(set(ours) - set(truth)):
        diffs.append(f"{key}: not in truth (ours {ours[key]['status']})")
    for key in sorted(set(truth) & set(ours)):
        for field in fields:
            expected, got = _truth_norm(field, truth[key][field]), _norm(ours[key][field])
            if expected != got:
                diffs.append(f"{key} {field}: truth {expected!r} ours {got!r}")
    return diffs


def monthly_differences(conn: psycopg.Connection, truth_csv: Path) -> list[str]:
    with truth_csv.open(newline="", encoding="utf-8") as fh:
        truth = {(r["nip"], r["month"]): r for r in csv.DictReader(fh)}
    fields = (*MONTHLY_FIELDS, *MONTHLY_PART_FIELDS)
    rows = conn.execute(
        f"select nip, month::text, is_locked, {', '.join(fields)} from marts.fct_allowance_deduction_monthly"
    ).fetchall()
    ours = {(r[0], r[1]): dict(zip(("is_locked", *fields), r[2:], strict=True)) for r in rows}
    diffs = [f"{k}: missing in fct_allowance_deduction_monthly" for k in sorted(set(truth) - set(ours))]
    diffs += [f"{k}: not in truth_monthly" for k in sorted(set(ours) - set(truth))]
    for key in sorted(set(truth) & set(ours)):
        # a locked row is the close's snapshot: it has no parts (and was complete when closed)
        for field in MONTHLY_FIELDS if ours[key]["is_locked"] else fields:
            expected, got = _truth_norm(field, truth[key][field]), _norm(ours[key][field])
            if expected != got:
                diffs.append(f"{key} {field}: truth {expected!r} ours {got!r}")
    return diffs
