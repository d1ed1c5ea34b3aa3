"""reference_daily through `dag.test()`: inbox files load once each, refused files go to rejected/."""

from __future__ import annotations

from pathlib import Path

import pytest

from absensi.orchestration import airflow_local

OPD = "opd_code,nama_opd,jenis_opd\nDINKES,Dinas Kesehatan,DINAS\nPKM01,Puskesmas Baturaja,PUSKESMAS\n"
EMPLOYEES = (
    "nip,nama,jenis_pegawai,golongan,jabatan,kelas_jabatan,opd_code,tunjangan_pokok,aktif_mulai,aktif_sampai\n"
    "198503122010011001,Siti Aminah,PNS,III/c,Analis,9,DINKES,4500000,2020-01-01,\n"
    "199001012019032002,Budi Santoso,PPPK,IX,Perawat,7,PKM01,3000000,2024-02-01,2026-12-31\n"
)
# Row 3 names an employee nobody loaded, row 2 has an unknown leave type: the whole file is refused.
BAD_LEAVE = (
    "nip,jenis,mulai,sampai,nomor_surat\n"
    "198503122010011001,LIBUR,2026-11-02,2026-11-04,800/12/BKPSDM\n"
    "196001011990031009,CUTI,2026-11-02,2026-11-04,800/13/BKPSDM\n"
)


def _batches(conn) -> list[tuple]:
    return conn.execute(
        "select kind, status, source_file, records_read from raw.ingest_batch order by batch_id"
    ).fetchall()


@pytest.fixture
def inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    monkeypatch.setenv("ABSENSI_INBOX", str(folder))
    return folder


def test_inbox_files_load_once_and_refused_files_are_reported(airflow_db, conn, inbox):
    # Dropped in "wrong" name order on purpose: employees name OPDs, so OPDs must load first.
    (inbox / "pegawai_2026-11.csv").write_text(EMPLOYEES, encoding="utf-8")
    (inbox / "opd.csv").write_text(OPD, encoding="utf-8")
    (inbox / "cuti_november.csv").write_text(BAD_LEAVE, encoding="utf-8")
    (inbox / "catatan.csv").write_text("apa,ini\n1,2\n", encoding="utf-8")

    report = airflow_local.run_dag("reference_daily")

    assert report.state_of("scan_inbox") == "success"
    assert report.state_of("load_files") == "success"
    assert report.state_of("check_rejections") == "failed"  # refused files fail the run: someone must look
    assert report.state == "failed"
    assert _batches(conn) == [
        ("opd", "ok", "opd.csv", 2),
        ("employees", "ok", "pegawai_2026-11.csv", 2),
        ("leave", "failed", "cuti_november.csv", 0),
    ]
    assert conn.execute("select count(*) from raw.leave").fetchone()[0] == 0
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == []
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["opd.csv", "pegawai_2026-11.csv"]
    rejected = sorted(p.name for p in (inbox / "rejected").iterdir())
    assert rejected == [
        "catatan.csv",
        "catatan.csv.error.txt",
        "cuti_november.csv",
        "cuti_november.csv.error.txt",
    ]
    leave_report = (inbox / "rejected" / "cuti_november.csv.error.txt").read_text(encoding="utf-8")
    assert "cuti_november.csv:2" in leave_report and "cuti_november.csv:3" in leave_report
    assert "jenis berkas tidak dikenali" in (inbox / "rejected" / "catatan.csv.error.txt").read_text()

    # The same OPD export dropped again (new name, same bytes) is not loaded twice; a fresh
    # employees export is.
    (inbox / "opd_lagi.csv").write_text(OPD, encoding="utf-8")
    (inbox / "employees_2026-12.csv").write_text(EMPLOYEES.replace("4500000", "4750000"), encoding="utf-8")
    second = airflow_local.run_dag("reference_daily")

    assert second.state == "success"
    assert _batches(conn)[3:] == [("employees", "ok", "employees_2026-12.csv", 2)]
    assert (inbox / "processed" / "opd_lagi.csv").is_file()
    assert not any(p.is_file() for p in inbox.iterdir())


def test_empty_inbox_is_a_quiet_success(airflow_db, conn, inbox):
    report = airflow_local.run_dag("reference_daily")
    assert report.state == "success"
    assert _batches(conn) == []


def test_inbox_cli_uses_the_same_function(conn, inbox, run_cli):
    (inbox / "opd.csv").write_text(OPD, encoding="utf-8")
    (inbox / "cuti.csv").write_text(BAD_LEAVE, encoding="utf-8")

    result = run_cli("inbox")

    assert result.exit_code == 2
    assert "opd.csv: dimuat: 2 baris opd" in result.stdout
    assert "cuti.csv: DITOLAK" in result.stdout
    assert "1 berkas referensi ditolak" in result.stderr
    assert (inbox / "processed" / "opd.csv").is_file() and (
        inbox / "rejected" / "cuti.csv.error.txt"
    ).is_file()
    assert run_cli("inbox").exit_code == 0  # nothing left: a quiet success


def test_files_that_crashed_the_loader_go_to_rejected_and_the_rest_still_load(conn, inbox, run_cli):
    """Issue 16 item 10: a 20-digit allowance, a NUL in a cell and a UTF-16 file once raised a
    traceback, stayed in the inbox and blocked every later file, on every run."""
    (inbox / "opd.csv").write_text(OPD, encoding="utf-8")
    header, first, second = EMPLOYEES.splitlines(keepends=True)
    (inbox / "pegawai_a.csv").write_text(header + first.replace("4500000", "1" * 20), encoding="utf-8")
    (inbox / "pegawai_b.csv").write_text(header + first.replace("Siti", "Si\x00ti"), encoding="utf-8")
    (inbox / "pegawai_c.csv").write_bytes((header + first).encode("utf-16-le"))
    (inbox / "pegawai_d.csv").write_text(header + second, encoding="utf-8")  # good: must still load

    result = run_cli("inbox")

    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "3 berkas referensi ditolak" in result.stderr
    rejected = inbox / "rejected"
    for name in ("pegawai_a.csv", "pegawai_b.csv", "pegawai_c.csv"):
        assert (rejected / name).is_file()
        assert (rejected / f"{name}.error.txt").read_text(encoding="utf-8").count(name) >= 2
    assert "melebihi batas wajar" in (rejected / "pegawai_a.csv.error.txt").read_text(encoding="utf-8")
    assert "NUL" in (rejected / "pegawai_c.csv.error.txt").read_text(encoding="utf-8")
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == []
    assert [b for b in _batches(conn) if b[1] == "failed"] == [
        ("employees", "failed", name, 0) for name in ("pegawai_a.csv", "pegawai_b.csv", "pegawai_c.csv")
    ]
    assert ("employees", "ok", "pegawai_d.csv", 1) in _batches(conn)


def test_close_month_cli_rejects_a_bad_month_in_one_line(db_url, run_cli):
    result = run_cli("close-month", "2026-13")
    assert result.exit_code == 2
    assert "bulan tidak sah '2026-13'" in result.stderr
    assert "Traceback" not in result.output
