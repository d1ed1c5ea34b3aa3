"""Issue 15 on real PostgreSQL and real dbt: approved corrections change the day (never the punches),
the others change nothing, a reload adds nothing, MESIN_RUSAK settles a broken device's MENUNGGU days
so the month closes, and a correction to a locked month is one adjustment with the exact rupiah.

One October regency of three devices, the last one offline from 29 October (issue 13's scenario):
an October build, corrections for one day of each kind, an incremental build after each file.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import psycopg
import pytest

from absensi.transform import run_build
from ingest.folder import load_generated_regency
from ingest.generator import generate
from tests.conftest import resolved_settings

ARGS = {"employees": 60, "devices": 3, "start": "2026-10-01", "days": 31, "seed": 15}
OCTOBER_VARS = {"attendance_start": "2026-10-01", "attendance_end": "2026-10-31"}
HEADER = "nip,tanggal,jenis,jam,device_sn,sampai,alasan,nomor_surat,diajukan_oleh,diajukan_pada,disetujui_oleh,disetujui_pada,status\n"
DAY_COLUMNS = (
    "status, first_in, last_out, late_minutes, early_minutes, tl_tier, psw_tier, deduction_pct, reason"
)


def _row(nip, day, jenis, status="DISETUJUI", jam="", device="", sampai="", surat="800/112/DINKES/2026"):
    approver = "Kepala Dinas" if status == "DISETUJUI" else ""
    approved = "2026-11-03" if status == "DISETUJUI" else ""
    return (
        f"{nip},{day},{jenis},{jam},{device},{sampai},alasan {jenis.lower()},{surat},"
        f"Sekretaris OPD,2026-11-02,{approver},{approved},{status}\n"
    )


def _day(conn: psycopg.Connection, nip: str, day: date) -> dict:
    cur = conn.execute(
        f"select {DAY_COLUMNS} from marts.fct_attendance_daily where nip = %s and work_date = %s", (nip, day)
    )
    names = [c.name for c in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def _pick(conn: psycopg.Connection, where: str, taken: set) -> tuple[str, date]:
    """One October day (not the offline days) matching `where`, of an employee not used yet."""
    for nip, day in conn.execute(
        f"""select nip, work_date from marts.fct_attendance_daily
             where work_date < '2026-10-29' and {where} order by nip, work_date"""
    ).fetchall():
        if nip not in taken:
            taken.add(nip)
            return nip, day
    raise AssertionError(f"no day with {where}")


def _tier_pct(conn: psycopg.Connection, side: str, tier: int) -> Decimal:
    return conn.execute(
        "select pct from staging.policy_tiers where policy_id = 'tukin_standard' and side = %s and tier = %s",
        (side, tier),
    ).fetchone()[0]


@pytest.mark.slow
def test_corrections_change_the_day_and_the_locked_month_once(db_url, conn, run_cli, tmp_path, monkeypatch):
    folder = tmp_path / "regency"
    meta = generate(folder, **ARGS, offline_devices=1, offline_from="2026-10-29")
    [offline] = meta["offline_devices"]
    load_generated_regency(conn, folder)
    settings = resolved_settings()
    run_build(db_url, settings, vars=OCTOBER_VARS, full_refresh=True)

    taken: set[str] = set()
    psw4 = _pick(
        conn,
        "status = 'HADIR' and tl_tier = 0 and psw_tier = 4 and first_in is not null and schedule_out = '16:00'",
        taken,
    )
    tl4 = _pick(conn, "status = 'HADIR' and tl_tier = 4 and psw_tier = 0 and last_out is not null", taken)
    tl3 = _pick(conn, "status = 'HADIR' and tl_tier = 3", taken)
    psw_early = _pick(conn, "status = 'HADIR' and psw_tier between 1 and 3", taken)
    both = _pick(conn, "status = 'HADIR' and tl_tier between 1 and 3 and psw_tier between 1 and 3", taken)
    tk_wfh = _pick(conn, "status = 'TK'", taken)
    tk_rejected = _pick(conn, "status = 'TK'", taken)
    any_pending = _pick(conn, "status = 'HADIR' and tl_tier > 0", taken)
    before = {
        key: _day(conn, *key) for key in (psw4, tl4, tl3, psw_early, both, tk_wfh, tk_rejected, any_pending)
    }
    punches_before = conn.execute(
        "select count(*), md5(string_agg(t::text, '|' order by t::text)) from raw.device_punch t"
    ).fetchone()

    koreksi = tmp_path / "koreksi.csv"
    koreksi.write_text(
        HEADER
        + _row(*psw4, "LUPA_PULANG", jam="16:05")
        + _row(*tl4, "LUPA_MASUK", jam="07:25")
        + _row(*tl3, "IZIN_TERLAMBAT")
        + _row(*psw_early, "IZIN_PULANG_CEPAT")
        + _row(*both, "DL_SEBAGIAN")
        + _row(*tk_wfh, "WFH")
        + _row(*tk_rejected, "LUPA_MASUK", status="DITOLAK", jam="07:20")
        + _row(*any_pending, "IZIN_TERLAMBAT", status="DIAJUKAN"),
        encoding="utf-8",
    )
    assert run_cli("load", "koreksi", koreksi).exit_code == 0
    run_build(db_url, settings, vars=OCTOBER_VARS)

    letter = "(surat 800/112/DINKES/2026, disetujui Kepala Dinas 03-11-2026)"
    # LUPA_PULANG turns a PSW4 day into an on-time day
    day = _day(conn, *psw4)
    assert (day["status"], day["tl_tier"], day["psw_tier"], day["deduction_pct"]) == ("HADIR", 0, 0, 0)
    assert day["last_out"].strftime("%H:%M") == "16:05" and day["early_minutes"] == 0
    assert day["reason"].endswith(
        f"pulang 16:05, tepat waktu; potongan 0,00%; koreksi LUPA_PULANG 16:05 {letter}"
    )
    # LUPA_MASUK adds the check-in
    day = _day(conn, *tl4)
    assert day["first_in"].strftime("%H:%M") == "07:25" and day["tl_tier"] == 0
    assert day["deduction_pct"] == before[tl4]["deduction_pct"] - _tier_pct(conn, "TL", 4)
    # IZIN_TERLAMBAT on a TL3 day: tier 0 and 0 % for TL, the real minutes still shown
    day = _day(conn, *tl3)
    assert day["tl_tier"] == 0 and day["late_minutes"] == before[tl3]["late_minutes"] > 0
    assert day["deduction_pct"] == before[tl3]["deduction_pct"] - _tier_pct(conn, "TL", 3)
    assert (
        "menit terlambat, diizinkan tanpa potongan" in day["reason"]
        and "koreksi IZIN_TERLAMBAT" in day["reason"]
    )
    # IZIN_PULANG_CEPAT: the PSW side only
    day = _day(conn, *psw_early)
    old = before[psw_early]
    assert (
        day["psw_tier"] == 0
        and day["early_minutes"] == old["early_minutes"]
        and day["tl_tier"] == old["tl_tier"]
    )
    assert day["deduction_pct"] == old["deduction_pct"] - _tier_pct(conn, "PSW", old["psw_tier"])
    # DL_SEBAGIAN: both sides
    day = _day(conn, *both)
    assert (day["tl_tier"], day["psw_tier"], day["deduction_pct"]) == (0, 0, 0)
    # WFH: present under the seed's remote rule (tukin_standard: 0 %)
    day = _day(conn, *tk_wfh)
    assert (day["status"], day["deduction_pct"]) == ("HADIR", 0)
    assert day["reason"] == f"WFH: bekerja dari rumah; potongan 0,00%; koreksi WFH {letter}"
    # DITOLAK and DIAJUKAN change nothing
    assert _day(conn, *tk_rejected) == before[tk_rejected]
    assert _day(conn, *any_pending) == before[any_pending]
    # The audit mart: every correction, its day before and after, in percent and rupiah.
    log = {
        (r[0], r[1]): r[2:]
        for r in conn.execute(
            """select nip, work_date, correction_type, correction_status, status_before, status_after,
                      pct_before, pct_after, amount_before, amount_after, hit_locked_month, disetujui_oleh
                 from marts.mart_correction_log"""
        ).fetchall()
    }
    assert len(log) == 8
    base = dict(conn.execute("select nip, tunjangan_pokok from staging.stg_raw__employees").fetchall())
    old_pct = before[psw4]["deduction_pct"]
    assert old_pct > 0
    assert log[psw4] == (
        "LUPA_PULANG",
        "DISETUJUI",
        "HADIR",
        "HADIR",
        old_pct,
        0,
        int((base[psw4[0]] * old_pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        0,
        False,
        "Kepala Dinas",
    )
    assert log[tk_wfh][2:6] == ("TK", "HADIR", before[tk_wfh]["deduction_pct"], 0)
    rejected = log[tk_rejected]
    assert rejected[1] == "DITOLAK" and rejected[2] == rejected[3] == "TK" and rejected[4] == rejected[5] > 0
    assert log[any_pending][1] == "DIAJUKAN" and log[any_pending][4] == log[any_pending][5] > 0
    # raw punches are never edited
    assert (
        conn.execute(
            "select count(*), md5(string_agg(t::text, '|' order by t::text)) from raw.device_punch t"
        ).fetchone()
        == punches_before
    )

    # The same file again: a new batch, the same corrections, the same days.
    facts = conn.execute(
        "select md5(string_agg(t::text, '|' order by t::text)) from marts.fct_attendance_daily t"
    ).fetchone()
    assert run_cli("load", "koreksi", koreksi).exit_code == 0
    run_build(db_url, settings, vars=OCTOBER_VARS)
    assert conn.execute("select count(*) from raw.koreksi").fetchone() == (16,)
    assert conn.execute("select count(*) from staging.stg_raw__koreksi").fetchone() == (8,)
    assert (
        conn.execute(
            "select md5(string_agg(t::text, '|' order by t::text)) from marts.fct_attendance_daily t"
        ).fetchone()
        == facts
    )

    # MESIN_RUSAK: the offline device's two MENUNGGU days become present days; the month closes.
    waiting = conn.execute(
        """select nip, work_date, first_in is null and last_out is null from marts.fct_attendance_daily
            where status = 'MENUNGGU' and work_date < '2026-11-01'"""
    ).fetchall()
    assert len(waiting) > 10 and {r[1] for r in waiting} == {date(2026, 10, 29), date(2026, 10, 30)}
    assert run_cli("close-month", "2026-10").exit_code != 0
    rusak = tmp_path / "koreksi_mesin.csv"
    rusak.write_text(
        HEADER
        + _row(
            "", "2026-10-29", "MESIN_RUSAK", device=offline, sampai="2026-10-30", surat="800/200/BKPSDM/2026"
        ),
        encoding="utf-8",
    )
    assert run_cli("load", "koreksi", rusak).exit_code == 0
    run_build(db_url, settings, vars=OCTOBER_VARS)
    for nip, work_date, no_punch in waiting:
        day = _day(conn, nip, work_date)
        assert day["status"] == "HADIR", day
        if no_punch:
            assert day["deduction_pct"] == 0 and day["reason"].startswith(
                f"absen manual: mesin {offline} rusak/luring, tidak ada absen; potongan 0,00%; koreksi MESIN_RUSAK mesin {offline}"
            ), day["reason"]
    assert conn.execute(
        "select count(*) from marts.fct_attendance_daily where status = 'MENUNGGU' and work_date < '2026-11-01'"
    ).fetchone() == (0,)
    rusak_log = conn.execute(
        """select status_before, status_after, count(*) from marts.mart_correction_log
            where correction_type = 'MESIN_RUSAK' and work_date >= '2026-10-29' group by 1, 2"""
    ).fetchall()
    assert ("MENUNGGU", "HADIR", len(waiting)) in rusak_log
    closed = run_cli("close-month", "2026-10")
    assert closed.exit_code == 0, closed.stderr

    # A correction to the locked month: one adjustment in November, the exact rupiah.
    late_tk = _pick(conn, "status = 'TK'", taken)
    nip = late_tk[0]
    base, locked_uncapped, locked_deduction = conn.execute(
        """select base_amount, total_pct_uncapped, deduction_amount from marts.fct_allowance_deduction_monthly
            where nip = %s and month = '2026-10-01'""",
        (nip,),
    ).fetchone()
    tk_pct = conn.execute(
        "select tk_pct from staging.policies where policy_id = 'tukin_standard'"
    ).fetchone()[0]
    late = tmp_path / "koreksi_terlambat.csv"
    late.write_text(HEADER + _row(*late_tk, "WFA", surat="800/300/DINKES/2026"), encoding="utf-8")
    assert run_cli("load", "koreksi", late).exit_code == 0
    run_build(db_url, settings, vars=OCTOBER_VARS)
    corrected = min(Decimal(100), locked_uncapped - tk_pct)
    expected = (
        int((Decimal(base) * corrected / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)) - locked_deduction
    )
    assert expected < 0
    adjustments = conn.execute(
        """select nip, month::text, corrected_month::text, adjustment_amount from marts.fct_allowance_adjustment
            where adjustment_amount <> 0"""
    ).fetchall()
    assert adjustments == [(nip, "2026-11-01", "2026-10-01", expected)]
    assert conn.execute(
        """select status_before, status_after, hit_locked_month, adjustment_month::text, month_adjustment_amount
             from marts.mart_correction_log where nip = %s and correction_type = 'WFA'""",
        (nip,),
    ).fetchall() == [("TK", "HADIR", True, "2026-11-01", expected)]
    # the locked month itself is unchanged
    assert conn.execute(
        "select deduction_amount from ops.locked_deduction_monthly where nip = %s and month = '2026-10-01'",
        (nip,),
    ).fetchone() == (locked_deduction,)
    # and a reload of the same letter adds no second adjustment
    assert run_cli("load", "koreksi", late).exit_code == 0
    run_build(db_url, settings, vars=OCTOBER_VARS)
    assert conn.execute(
        "select count(*), sum(adjustment_amount) from marts.fct_allowance_adjustment where adjustment_amount <> 0"
    ).fetchone() == (1, expected)

    # The quality gate (issue 15 item 4): the locked-month correction has its adjustment; the
    # approvals per OPD are within the seed's threshold, and above it they are a warning.
    from expectations.runner import run_checks

    def koreksi_results() -> dict[str, tuple]:
        run = run_checks(db_url, date(2026, 10, 1), timezone=settings.timezone)
        return {
            r[0]: r[1:]
            for r in conn.execute(
                """select expectation, severity, success, failing_rows from quality.result
                    where run_id = %s and expectation like 'koreksi%%'""",
                (run.run_id,),
            ).fetchall()
        }

    results = koreksi_results()
    assert results["koreksi_locked_month_has_adjustment"][:2] == ("warning", True)
    assert results["koreksi_per_opd_within_threshold"][:2] == ("warning", True)
    import warehouse.seeds

    real_read_seed = warehouse.seeds.read_seed
    monkeypatch.setattr(
        warehouse.seeds,
        "read_seed",
        lambda name, *a: (
            [{"max_approved_per_opd_month": "0"}] if name == "koreksi_threshold" else real_read_seed(name, *a)
        ),
    )
    severity, success, failing = koreksi_results()["koreksi_per_opd_within_threshold"]
    assert (severity, success) == ("warning", False) and failing[0]["approved"] > 0


@pytest.mark.slow
def test_the_generated_corrections_and_the_truth_agree(db_url, conn, tmp_path):
    """The generator's koreksi.csv (approved, refused, pending, one broken machine) loads through
    load-folder, and the marts equal the truth that follows the approved ones: 0 differences."""
    from tests.dbt.truth import daily_differences, monthly_differences

    folder = tmp_path / "regency"
    meta = generate(folder, employees=80, devices=3, start="2026-10-01", days=31, seed=7, corrections=True)
    rows = (folder / "koreksi.csv").read_text(encoding="utf-8").splitlines()[1:]
    statuses = {line.rsplit(",", 1)[1] for line in rows}
    kinds = {line.split(",")[2] for line in rows}
    assert statuses == {"DISETUJUI", "DITOLAK", "DIAJUKAN"} and "MESIN_RUSAK" in kinds and len(kinds) >= 6
    loaded = load_generated_regency(conn, folder)
    assert ("koreksi", len(rows)) in [(r.kind, r.rows) for r in loaded.references]
    run_build(db_url, resolved_settings(), vars=OCTOBER_VARS, full_refresh=True)
    assert daily_differences(conn, folder / "truth.csv") == []
    assert monthly_differences(conn, folder / "truth_monthly.csv") == []
    applied = conn.execute(
        """select count(*) from marts.mart_correction_log
            where correction_status = 'DISETUJUI' and pct_before <> pct_after"""
    ).fetchone()[0]
    assert applied > 0
    assert meta["paths"]["koreksi"] == str(folder / "koreksi.csv")
