"""Marts layer: the numbers finance pays from (DESIGN §5 contracts, §6 rules)."""

from __future__ import annotations

from datetime import timedelta

import great_expectations.expectations as gxe

from expectations.model import CRITICAL, WARNING, AssetChecks, Check
from expectations.params import SuiteParams
from expectations.suites.sql import batch_rows, current_reference, date_values

SUITE = "marts"
STATUSES = ["HADIR", "TK", "CUTI", "SAKIT", "IZIN", "DL", "TB", "MENUNGGU"]
TIERS = [0, 1, 2, 3, 4]


def _policy_values(p: SuiteParams) -> str:
    """Inline table (policy_id, max_daily_pct, cap_pct) from the policy seeds."""
    if not p.policies:
        return "(select null::text as policy_id, null::numeric as max_daily_pct, null::numeric as cap_pct where false) pol"
    rows = ", ".join(
        f"('{lim.policy_id}', {lim.max_daily_pct}::numeric, {lim.monthly_cap_pct}::numeric)"
        for lim in p.policies
    )
    return f"(values {rows}) pol (policy_id, max_daily_pct, cap_pct)"


def _values(rows: tuple[tuple, ...], alias: str, columns: str, types: tuple[str, ...]) -> str:
    if not rows:
        nulls = ", ".join(f"null::{t}" for t in types)
        return f"(select {nulls} where false) {alias} ({columns})"
    body = ", ".join(
        "("
        + ", ".join(
            f"'{v}'::{t}" if not isinstance(v, int) else f"{v}::{t}" for v, t in zip(row, types, strict=True)
        )
        + ")"
        for row in rows
    )
    return f"(values {body}) {alias} ({columns})"


def expected_workdays_sql(p: SuiteParams, start: str, end: str) -> str:
    """(nip, work_date) of every scheduled workday of every active employee between two SQL dates.

    Rebuilt from the seed files and the current raw reference, independently of dbt's calendar:
    weekdays of the employee's OPD schedule (Ramadan-aware), minus holidays, while active.
    """
    employees = current_reference(p.raw_schema, "employee", "nip")
    opds = current_reference(p.raw_schema, "opd", "opd_code")
    schedule_days = _values(
        p.schedule_days, "sd", "schedule_id, period, iso_weekday", ("text", "text", "int")
    )
    opd_schedule = _values(p.opd_schedules, "os", "jenis_opd, schedule_id", ("text", "text"))
    ramadan = _values(p.ramadan, "rp", "start_date, end_date", ("date", "date"))
    return (
        f"select e.nip, g.d::date as work_date from {employees} e "
        f"left join {opds} o on o.opd_code = e.opd_code "
        f"left join {opd_schedule} on os.jenis_opd = o.jenis_opd "
        f"cross join generate_series({start}::date, {end}::date, interval '1 day') g (d) "
        f"join {schedule_days} on sd.schedule_id = coalesce(os.schedule_id, 'standar') "
        "and sd.iso_weekday = extract(isodow from g.d)::int "
        f"and sd.period = case when exists (select 1 from {ramadan} where g.d::date between rp.start_date "
        "and rp.end_date) then 'ramadan' else 'normal' end "
        "where g.d::date >= e.aktif_mulai and (e.aktif_sampai is null or g.d::date <= e.aktif_sampai) "
        f"and g.d::date not in (select h.d from {date_values(p.holidays)} where h.d is not null)"
    )


def _unlocked(p: SuiteParams, day: str) -> str:
    """A locked month's rows are frozen as paid (DESIGN §6); later reference changes surface as
    adjustments, so only open months are compared with the current reference."""
    if "ops.month_lock" not in p.existing_tables:
        return "true"
    return f"not exists (select 1 from ops.month_lock l where l.month = date_trunc('month', {day})::date)"


def _window_bounds(p: SuiteParams) -> tuple[str, str] | None:
    if p.window is None:
        return None
    start, end = p.window
    if p.month_start is not None and p.month_end is not None:
        start = max(start, p.month_start)
        end = min(end, p.month_end - timedelta(days=1))
    if start > end:
        return None
    return f"date '{start.isoformat()}'", f"date '{end.isoformat()}'"


def _daily(p: SuiteParams) -> AssetChecks:
    table = p.mart("fct_attendance_daily")
    where = ""
    if p.month_start:
        where = f" where work_date >= date '{p.month_start}' and work_date < date '{p.month_end}'"
    policies = _policy_values(p)
    pct_query = (
        "select b.nip, b.work_date, b.policy_id, b.status, b.deduction_pct, pol.max_daily_pct from b "
        f"left join {policies} on pol.policy_id = b.policy_id "
        "where b.deduction_pct is null or b.deduction_pct < 0 or pol.policy_id is null "
        "or b.deduction_pct > pol.max_daily_pct order by b.nip, b.work_date"
    )
    checks = [
        Check(
            "daily_not_empty",
            "Mart harian berisi baris untuk periode ini",
            lambda: gxe.ExpectTableRowCountToBeBetween(min_value=1),
        ),
        Check(
            "daily_grain_unique",
            "Satu baris per pegawai per hari kerja (nip, work_date unik)",
            lambda: gxe.ExpectCompoundColumnsToBeUnique(column_list=["nip", "work_date"]),
        ),
        Check(
            "daily_status_in_set",
            "Status salah satu dari " + ", ".join(STATUSES),
            lambda: gxe.ExpectColumnValuesToBeInSet(column="status", value_set=STATUSES),
        ),
        Check(
            "daily_status_not_null",
            "Status terisi",
            lambda: gxe.ExpectColumnValuesToNotBeNull(column="status"),
        ),
        Check(
            "daily_tl_tier_in_set",
            "Tingkat TL 0–4",
            lambda: gxe.ExpectColumnValuesToBeInSet(column="tl_tier", value_set=TIERS),
        ),
        Check(
            "daily_psw_tier_in_set",
            "Tingkat PSW 0–4",
            lambda: gxe.ExpectColumnValuesToBeInSet(column="psw_tier", value_set=TIERS),
        ),
        Check(
            "daily_deduction_pct_within_policy",
            "Potongan harian antara 0 dan maksimum kebijakannya ("
            + ", ".join(f"{lim.policy_id} {lim.max_daily_pct}%" for lim in p.policies)
            + ")",
            lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(pct_query)),
        ),
        Check(
            "daily_first_in_not_after_last_out",
            "Jam masuk tidak setelah jam pulang (first_in ≤ last_out)",
            lambda: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="last_out",
                column_B="first_in",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
        ),
    ]
    bounds = _window_bounds(p)
    if bounds is not None:
        start, end = bounds
        expected = expected_workdays_sql(p, start, end)
        missing_query = (
            f"select x.nip, x.work_date from ({expected}) x "
            "where not exists (select 1 from b where b.nip = x.nip and b.work_date = x.work_date) "
            f"and {_unlocked(p, 'x.work_date')} order by x.work_date, x.nip"
        )
        extra_query = (
            "select b.nip, b.work_date, b.status from b "
            f"where b.work_date between {start} and {end} and {_unlocked(p, 'b.work_date')} and not exists "
            f"(select 1 from ({expected}) x where x.nip = b.nip and x.work_date = b.work_date) "
            "order by b.work_date, b.nip"
        )
        checks += [
            Check(
                "daily_grain_complete",
                f"Setiap hari kerja terjadwal tiap pegawai aktif ada ({start[6:-1]} s.d. {end[6:-1]})",
                lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(missing_query)),
            ),
            Check(
                "daily_only_scheduled_workdays",
                "Tidak ada baris di luar hari kerja terjadwal pegawai aktif",
                lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(extra_query)),
            ),
        ]
    return AssetChecks(SUITE, table, f"select * from {table}{where}", ("nip", "work_date"), tuple(checks))


def _monthly(p: SuiteParams) -> AssetChecks:
    table = p.mart("fct_allowance_deduction_monthly")
    where = f" where month = date '{p.month_start}'" if p.month_start else ""
    policies = _policy_values(p)
    cap_query = (
        "select b.nip, b.month, b.policy_id, b.total_pct_uncapped, b.total_pct, pol.cap_pct from b "
        f"left join {policies} on pol.policy_id = b.policy_id "
        "where pol.policy_id is null or b.total_pct is null or b.total_pct < 0 or b.total_pct > pol.cap_pct "
        "or b.total_pct <> least(pol.cap_pct, b.total_pct_uncapped) order by b.nip, b.month"
    )
    amount_query = (
        "select b.nip, b.month, b.base_amount, b.deduction_amount from b "
        "where b.deduction_amount is null or b.base_amount is null "
        "or b.deduction_amount < 0 or b.deduction_amount > b.base_amount order by b.nip, b.month"
    )
    net_query = (
        "select b.nip, b.month, b.base_amount, b.deduction_amount, b.net_amount from b "
        "where b.net_amount is distinct from b.base_amount - b.deduction_amount order by b.nip, b.month"
    )
    rounding_query = (
        "select b.nip, b.month, b.base_amount, b.total_pct, b.deduction_amount, "
        "floor(b.base_amount * b.total_pct / 100 + 0.5) as expected_deduction from b "
        "where b.deduction_amount is distinct from floor(b.base_amount * b.total_pct / 100 + 0.5) "
        "order by b.nip, b.month"
    )
    if "discipline_deduction" in p.table_columns.get(table, ()):
        # issue 20: the percent cuts the discipline part (rounded half up); the deduction is the sum of
        # the parts. A locked row (no parts: frozen before they existed) keeps the whole-base rule.
        rounding_query = (
            "select b.nip, b.month, b.base_amount, b.total_pct, b.deduction_amount, b.discipline_amount, "
            "b.discipline_deduction, b.performance_amount, b.sanction_deduction from b "
            "where (b.discipline_amount is null "
            "and b.deduction_amount is distinct from floor(b.base_amount * b.total_pct / 100 + 0.5)) "
            "or (b.discipline_amount is not null and ("
            "b.discipline_deduction is distinct from floor(b.discipline_amount * b.total_pct / 100 + 0.5) "
            "or b.deduction_amount is distinct from b.discipline_deduction "
            "+ (b.base_amount - b.discipline_amount - b.performance_amount) + b.sanction_deduction)) "
            "order by b.nip, b.month"
        )
    # days_menunggu (issue 13) when the mart has it; an older mart adds up without it
    menunggu = "b.days_menunggu" if "days_menunggu" in p.table_columns.get(table, ()) else "0"
    days_query = (
        f"select b.nip, b.month, b.workdays, b.days_hadir, b.days_tk, b.days_leave, {menunggu} as days_menunggu "
        f"from b where b.workdays is distinct from b.days_hadir + b.days_tk + b.days_leave + {menunggu} "
        f"or least(b.days_hadir, b.days_tk, b.days_leave, {menunggu}) < 0 order by b.nip, b.month"
    )
    complete_query = (
        f"select b.nip, b.month, b.opd_code, {menunggu} as days_menunggu from b "
        f"where {menunggu} > 0 order by b.opd_code, b.nip"
    )
    daily = p.mart("fct_attendance_daily")
    daily_where = ""
    if p.month_start:  # only the checked month's days: the sum stays small on a year of history
        daily_where = f" where work_date >= date '{p.month_start}' and work_date < date '{p.month_end}'"
    daily_match_query = (
        "select b.nip, b.month, b.workdays, d.workdays as daily_rows, b.total_pct_uncapped, "
        "d.total_pct_uncapped as daily_pct_sum from b left join (select nip, "
        "date_trunc('month', work_date)::date as month, count(*) as workdays, "
        f"sum(deduction_pct) as total_pct_uncapped from {daily}{daily_where} group by 1, 2) d "
        "on d.nip = b.nip and d.month = b.month "
        "where d.nip is null or b.workdays <> d.workdays or b.total_pct_uncapped <> d.total_pct_uncapped "
        "order by b.nip, b.month"
    )
    checks = [
        Check(
            "monthly_not_empty",
            "Mart potongan bulanan berisi baris untuk periode ini",
            lambda: gxe.ExpectTableRowCountToBeBetween(min_value=1),
        ),
        Check(
            "monthly_grain_unique",
            "Satu baris per pegawai per bulan (nip, month unik)",
            lambda: gxe.ExpectCompoundColumnsToBeUnique(column_list=["nip", "month"]),
        ),
        Check(
            "monthly_total_pct_capped",
            "total_pct = min(batas kebijakan, total_pct_uncapped) dan tidak melebihi batas",
            lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(cap_query)),
        ),
        Check(
            "monthly_deduction_within_base",
            "0 ≤ deduction_amount ≤ base_amount",
            lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(amount_query)),
        ),
        Check(
            "monthly_net_is_base_minus_deduction",
            "net_amount = base_amount − deduction_amount",
            lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(net_query)),
        ),
        Check(
            "monthly_deduction_rounded_half_up",
            "potongan_disiplin = pembulatan setengah ke atas dari bagian_disiplin × total_pct / 100 dan "
            "deduction_amount = jumlah bagian-bagiannya (baris terkunci: base × total_pct / 100)",
            lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(rounding_query)),
        ),
        Check(
            "monthly_day_counts_add_up",
            "days_hadir + days_tk + days_leave + days_menunggu = workdays",
            lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(days_query)),
        ),
        # Issue 13: days not known yet. Expected while a month runs (a warning with the count in
        # the hourly gate); the close's gate blocks on them (nothing unknown is frozen for payment).
        Check(
            "monthly_complete",
            "Tidak ada hari MENUNGGU (data mesin belum lengkap atau hari belum selesai) pada bulan ini",
            lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(complete_query)),
            severity=CRITICAL if p.closing else WARNING,
        ),
    ]
    if daily in p.existing_tables:
        checks.append(
            Check(
                "monthly_matches_daily",
                "workdays dan total_pct_uncapped sama dengan jumlah baris dan potongan di mart harian",
                lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(daily_match_query)),
            )
        )
    return AssetChecks(SUITE, table, f"select * from {table}{where}", ("nip", "month"), tuple(checks))


def _koreksi(p: SuiteParams) -> AssetChecks:
    """Issue 15: corrections an inspector would ask about. Both are warnings: a locked-month change
    the monthly cap absorbs has no adjustment, and many approvals are a signal, not an error."""
    from warehouse.seeds import read_seed

    table = p.mart("mart_correction_log")
    where = f" where date_trunc('month', work_date)::date = date '{p.month_start}'" if p.month_start else ""
    threshold = int(read_seed("koreksi_threshold")[0]["max_approved_per_opd_month"])
    locked_query = (
        "select b.nip, b.work_date, b.correction_type, b.nomor_surat from b "
        "where b.hit_locked_month and b.correction_status = 'DISETUJUI' "
        "and b.pct_before <> b.pct_after and b.adjustment_month is null "
        "order by b.nip, b.work_date"
    )
    busy_query = (
        "select b.opd_code, date_trunc('month', b.work_date)::date as month, "
        "count(distinct (b.correction_date, b.correction_type, b.nip, b.device_sn)) as approved from b "
        "where b.correction_status = 'DISETUJUI' and b.correction_type <> 'MESIN_RUSAK' "
        f"group by 1, 2 having count(distinct (b.correction_date, b.correction_type, b.nip, b.device_sn)) > {threshold} "
        "order by 1, 2"
    )
    return AssetChecks(
        SUITE,
        table,
        f"select * from {table}{where}",
        ("nip", "work_date", "correction_type"),
        (
            Check(
                "koreksi_locked_month_has_adjustment",
                "Koreksi yang disetujui untuk bulan terkunci dan mengubah persen punya penyesuaian di bulan terbuka",
                lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(locked_query)),
                severity=WARNING,
            ),
            Check(
                "koreksi_per_opd_within_threshold",
                f"Koreksi disetujui per OPD per bulan tidak lebih dari {threshold} (seed koreksi_threshold)",
                lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(busy_query)),
                severity=WARNING,
            ),
        ),
    )


def build(p: SuiteParams) -> list[AssetChecks]:
    assets = [_daily(p), _monthly(p), _employee_ranks(p), _opd_ranks(p)]
    if p.mart("mart_correction_log") in p.existing_tables:
        assets.append(_koreksi(p))
    return assets


def _rank_check(
    name: str, what: str, rank: str, group: list[str], key: list[str], unranked: str = "false"
) -> Check:
    """Competition ranks (SQL rank(): 1, 2, 2, 4) with no gap, no missing 1 and no null, except
    the rows `unranked` (a SQL condition on b) names, which must have no rank.

    A valid rank equals the rank of that rank within its group; anything else is a hole or a
    duplicate the ordering cannot explain.
    """
    cols = ", ".join(f"b.{c}" for c in [*group, *key])
    partition = ", ".join(group)
    query = (
        f"select {cols}, b.{rank} as rank, b.expected_rank from (select b.*, "
        f"rank() over (partition by {partition}, b.{rank} is null order by {rank}) as expected_rank from b) b "
        f"where (b.{rank} is null) <> ({unranked}) or b.{rank} <> b.expected_rank order by {cols}"
    )
    return Check(
        name,
        f"Peringkat {what} berurutan tanpa lompatan per {' dan '.join(group)} (1, 2, 2, 4 …)",
        lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(query)),
    )


def _employee_ranks(p: SuiteParams) -> AssetChecks:
    table = p.mart("mart_employee_discipline_monthly")
    where = f" where month = date '{p.month_start}'" if p.month_start else ""
    return AssetChecks(
        SUITE,
        table,
        f"select * from {table}{where}",
        ("opd_code", "month", "nip"),
        (
            Check(
                "employee_rank_grain_unique",
                "Satu baris per pegawai per bulan (nip, month unik)",
                lambda: gxe.ExpectCompoundColumnsToBeUnique(column_list=["nip", "month"]),
            ),
            _rank_check(
                "employee_rank_contiguous", "disiplin pegawai", "rank_in_opd", ["opd_code", "month"], ["nip"]
            ),
        ),
    )


def _opd_ranks(p: SuiteParams) -> AssetChecks:
    table = p.mart("mart_opd_discipline_monthly")
    where = f" where month = date '{p.month_start}'" if p.month_start else ""
    return AssetChecks(
        SUITE,
        table,
        f"select * from {table}{where}",
        ("month", "opd_code"),
        (
            Check(
                "opd_rank_grain_unique",
                "Satu baris per OPD per bulan (opd_code, month unik)",
                lambda: gxe.ExpectCompoundColumnsToBeUnique(column_list=["opd_code", "month"]),
            ),
            # an OPD without a final day to rate (issue 13) has no rank
            _rank_check(
                "opd_rank_contiguous",
                "disiplin OPD",
                "discipline_rank",
                ["month"],
                ["opd_code"],
                unranked="b.attendance_rate is null"
                if "attendance_rate" in p.table_columns.get(table, ())
                else "false",
            ),  # fmt: skip
        ),
    )
