"""A leave letter can be withdrawn (leave.csv `status` = dicabut, #16 item 14): the withdrawal is a
new row of the same letter (nip, mulai) in its own batch, so raw keeps who withdrew it and when; the
letter stops counting from the next (incremental) build, and the days it covered are recomputed."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from absensi.transform import run_build
from ingest.reference import ReferenceFileError, load_reference_file
from tests.conftest import BuiltRegency, built_regency, resolved_settings

HEADER = "nip,jenis,mulai,sampai,nomor_surat,status\n"


@pytest.fixture(scope="module")
def regency(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltRegency]:
    with built_regency(
        pg_server_url, tmp_path_factory.mktemp("regency"), prefix="leave", unit_tests=False,
        employees=60, devices=2, start="2026-03-02", days=19, seed=5,
    ) as built:  # fmt: skip
        yield built


def _query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _a_letter_on_workdays(url: str) -> tuple[str, str, dt.date, dt.date, str]:
    """A letter whose days are counted as leave in the daily facts now."""
    rows = _query(
        url,
        """select l.nip, l.leave_type, l.leave_start, l.leave_end, coalesce(l.nomor_surat, '')
             from staging.stg_raw__leaves l
            where exists (select 1 from marts.fct_attendance_daily d
                           where d.nip = l.nip and d.status = l.leave_type
                             and d.work_date between l.leave_start and l.leave_end)
            order by l.nip, l.leave_start limit 1""",
    )
    assert rows, "the generated regency has no counted leave letter"
    return rows[0]


def test_a_withdrawn_letter_stops_counting_and_stays_audited(regency: BuiltRegency, tmp_path: Path) -> None:
    nip, jenis, mulai, sampai, nomor = _a_letter_on_workdays(regency.url)
    covered = _query(
        regency.url,
        "select work_date from marts.fct_attendance_daily where nip = %s and status = %s"
        " and work_date between %s and %s order by 1",
        (nip, jenis, mulai, sampai),
    )
    withdrawal = tmp_path / "cabut.csv"
    withdrawal.write_text(HEADER + f"{nip},{jenis},{mulai},{sampai},{nomor},dicabut\n", encoding="utf-8")
    with psycopg.connect(regency.url, autocommit=True) as conn:
        loaded = load_reference_file(conn, "leave", withdrawal)
    assert loaded.rows == 1

    run_build(regency.url, resolved_settings(), vars=regency.vars, unit_tests=False)  # incremental
    assert _query(
        regency.url,
        "select count(*) from staging.stg_raw__leaves where nip = %s and leave_start = %s",
        (nip, mulai),
    ) == [(0,)]
    after = _query(
        regency.url,
        "select work_date, status from marts.fct_attendance_daily where nip = %s and work_date = any(%s)"
        " order by 1",
        (nip, [d for (d,) in covered]),
    )
    assert len(after) == len(covered) and all(status != jenis for _, status in after), after

    # Audit: both rows stay in raw, the withdrawal in its own batch with who loaded it.
    history = _query(
        regency.url,
        """select l.status, b.kind, b.status, b.loaded_by is not null, b.batch_id = %s
             from raw.leave l join raw.ingest_batch b using (batch_id)
            where l.nip = %s and l.mulai = %s order by l.batch_id""",
        (loaded.batch_id, nip, mulai),
    )
    assert history == [("berlaku", "leave", "ok", True, False), ("dicabut", "leave", "ok", True, True)]

    # The same letter loaded again (no status = in force): it counts again.
    again = tmp_path / "lagi.csv"
    again.write_text(
        f"nip,jenis,mulai,sampai,nomor_surat\n{nip},{jenis},{mulai},{sampai},{nomor}\n", encoding="utf-8"
    )
    with psycopg.connect(regency.url, autocommit=True) as conn:
        load_reference_file(conn, "leave", again)
    run_build(regency.url, resolved_settings(), vars=regency.vars, unit_tests=False)
    restored = _query(
        regency.url,
        "select work_date from marts.fct_attendance_daily where nip = %s and status = %s"
        " and work_date between %s and %s order by 1",
        (nip, jenis, mulai, sampai),
    )
    assert restored == covered


def test_a_withdrawal_must_name_a_stored_letter_and_a_known_status(
    regency: BuiltRegency, tmp_path: Path
) -> None:
    nip = _query(regency.url, "select nip from staging.stg_raw__employees order by nip limit 1")[0][0]
    bad = tmp_path / "salah.csv"
    bad.write_text(
        HEADER + f"{nip},CUTI,2026-03-09,2026-03-10,,dicabut\n{nip},IZIN,2026-03-16,2026-03-16,,batal\n",
        encoding="utf-8",
    )
    before = _query(regency.url, "select count(*) from raw.leave")
    with psycopg.connect(regency.url, autocommit=True) as conn, pytest.raises(ReferenceFileError) as refused:
        load_reference_file(conn, "leave", bad)
    problems = refused.value.problems
    assert any(
        f"salah.csv:2: status: tidak ada surat NIP {nip} mulai 2026-03-09 di gudang untuk dicabut" in p
        for p in problems
    ), problems
    assert any(
        "salah.csv:3: status: 'batal' bukan salah satu dari berlaku, dicabut" in p for p in problems
    ), problems
    assert _query(regency.url, "select count(*) from raw.leave") == before


def test_generated_leave_files_without_status_still_load(regency: BuiltRegency) -> None:
    with (regency.folder / "leave.csv").open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert "status" not in header  # the DESIGN §5 format stays valid
    assert _query(
        regency.url,
        "select distinct l.status from raw.leave l join raw.ingest_batch b using (batch_id)"
        " where b.source_file = 'leave.csv'",
    ) == [("berlaku",)]
