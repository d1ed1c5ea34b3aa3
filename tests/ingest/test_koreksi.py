"""The correction file (issue 15, moderasi): `absensi load koreksi FILE.csv`, the inbox and
load-folder; every refusal of the issue as `FILE:ROW: column: problem`, nothing stored."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from absensi.orchestration.inbox import kind_of, process_file
from ingest.folder import load_generated_regency
from ingest.reference import LOAD_ORDER, ReferenceFileError, load_reference_file

OPD = "opd_code,nama_opd,jenis_opd\nDINKES,Dinas Kesehatan,DINAS\n"
EMPLOYEES = (
    "nip,nama,jenis_pegawai,golongan,jabatan,kelas_jabatan,opd_code,tunjangan_pokok,aktif_mulai,aktif_sampai\n"
    "198503122010011001,Siti Aminah,PNS,III/c,Analis,9,DINKES,4500000,2020-01-01,\n"
    "199001012019032002,Budi Santoso,PNS,III/a,Perawat,7,DINKES,3000000,2026-11-10,\n"
)
DEVICES = (
    "device_sn,nama,opd_code,host,port,protocol,timezone\nCKJG001,Mesin Dinkes,DINKES,10.1.1.5,4370,tcp,\n"
)
HEADER = "nip,tanggal,jenis,jam,device_sn,sampai,alasan,nomor_surat,diajukan_oleh,diajukan_pada,disetujui_oleh,disetujui_pada,status\n"
SITI = "198503122010011001"
# Tuesday 2026-11-03 is a workday of the standard schedule (07:30–16:00)
LUPA = f"{SITI},2026-11-03,LUPA_PULANG,16:05,,,lupa absen pulang,800/112/DINKES/2026,Sekretaris Dinkes,2026-11-03,Kepala Dinas,2026-11-03,DISETUJUI\n"
IZIN = f"{SITI},2026-11-04,IZIN_TERLAMBAT,,,,antar anak sakit,800/113/DINKES/2026,Sekretaris Dinkes,2026-11-04,Kepala Dinas,2026-11-05,DITOLAK\n"
RUSAK = ",2026-11-05,MESIN_RUSAK,,CKJG001,2026-11-06,adaptor mati,800/114/DINKES/2026,Sekretaris Dinkes,2026-11-06,Kepala BKPSDM,2026-11-09,DISETUJUI\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def registry(conn, tmp_path):
    load_reference_file(conn, "opd", write(tmp_path, "opd.csv", OPD))
    load_reference_file(conn, "employees", write(tmp_path, "employees.csv", EMPLOYEES))
    load_reference_file(conn, "devices", write(tmp_path, "devices.csv", DEVICES))
    return conn


def count(conn: psycopg.Connection, table: str) -> int:
    return conn.execute(f"select count(*) from {table}").fetchone()[0]


def test_a_good_file_loads_through_the_cli_as_one_koreksi_batch(registry, tmp_path, run_cli):
    conn = registry
    path = write(tmp_path, "koreksi.csv", HEADER + LUPA + IZIN + RUSAK)
    result = run_cli("load", "koreksi", path)
    assert result.exit_code == 0, result.output
    assert "3 baris koreksi" in result.stdout
    rows = conn.execute(
        "select nip, jenis, jam::text, device_sn, sampai::text, status from raw.koreksi order by row_no"
    ).fetchall()
    assert rows == [
        (SITI, "LUPA_PULANG", "16:05:00", None, None, "DISETUJUI"),
        (SITI, "IZIN_TERLAMBAT", None, None, None, "DITOLAK"),
        (None, "MESIN_RUSAK", None, "CKJG001", "2026-11-06", "DISETUJUI"),
    ]
    assert conn.execute(
        "select kind, status from raw.ingest_batch order by batch_id desc limit 1"
    ).fetchone() == (
        "koreksi",
        "ok",
    )
    # the optional columns (sampai, diajukan_pada) may be left out of the header
    short = HEADER.replace("sampai,", "").replace("diajukan_pada,", "")
    row = f"{SITI},2026-11-12,WFH,,,kerja dari rumah,800/120/DINKES/2026,Sekretaris Dinkes,Kepala Dinas,2026-11-11,DISETUJUI\n"
    assert load_reference_file(conn, "koreksi", write(tmp_path, "k2.csv", short + row)).rows == 1


BAD = {
    "unknown_nip": (LUPA.replace(SITI, "198503122010011099"), "nip: NIP 198503122010011099 tidak ada"),
    "unknown_device": (RUSAK.replace("CKJG001", "XX9"), "device_sn: mesin 'XX9' tidak terdaftar"),
    "jam_missing": (LUPA.replace("16:05", ""), "jam: wajib diisi untuk LUPA_PULANG"),
    "jam_not_a_time": (LUPA.replace("16:05", "25:10"), "jam: jam 25:10 di luar hari"),
    "jam_outside_the_day": (LUPA.replace("16:05", "06:00"), "jam: 06:00 di luar hari kerja"),
    "no_approver": (LUPA.replace("Kepala Dinas", ""), "disetujui_oleh: wajib diisi untuk status DISETUJUI"),
    "approved_before_submitted": (
        IZIN.replace("2026-11-04,Kepala", "2026-11-06,Kepala"),
        "disetujui_pada: 2026-11-05 sebelum diajukan_pada 2026-11-06",
    ),
    "weekend": (LUPA.replace("2026-11-03", "2026-11-07"), "tanggal: 2026-11-07 bukan hari kerja"),
    "not_active_yet": (
        IZIN.replace(SITI, "199001012019032002"),
        "tanggal: 2026-11-04 di luar masa aktif pegawai 199001012019032002",
    ),
    "bad_jenis": (LUPA.replace("LUPA_PULANG", "LUPA"), "jenis: 'LUPA' bukan salah satu dari"),
    "bad_status": (LUPA.replace("DISETUJUI", "OK"), "status: 'OK' bukan salah satu dari"),
    "nip_on_mesin_rusak": (SITI + RUSAK, "nip: kosongkan untuk MESIN_RUSAK"),
    "device_on_lupa": (LUPA.replace("16:05,,", "16:05,CKJG001,"), "device_sn: hanya untuk MESIN_RUSAK"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_row_refuses_the_whole_file(case, registry, tmp_path, run_cli):
    conn = registry
    bad, expected = BAD[case]
    path = write(tmp_path, "koreksi.csv", HEADER + RUSAK + bad)
    result = run_cli("load", "koreksi", path)
    assert result.exit_code != 0
    assert f"koreksi.csv:3: {expected}" in result.output, result.output
    assert count(conn, "raw.koreksi") == 0
    assert conn.execute("select status from raw.ingest_batch order by batch_id desc limit 1").fetchone() == (
        "failed",
    )


def test_the_same_key_twice_and_every_bad_row_are_listed(registry, tmp_path):
    path = write(tmp_path, "koreksi.csv", HEADER + LUPA + LUPA.replace("16:05", "16:10") + RUSAK + RUSAK)
    with pytest.raises(ReferenceFileError) as caught:
        load_reference_file(registry, "koreksi", path)
    text = str(caught.value)
    assert (
        f"koreksi.csv:3: tanggal: kunci ganda (tanggal=2026-11-03,jenis=LUPA_PULANG,nip={SITI}), sudah ada di baris 2"
        in text
    )
    assert (
        "koreksi.csv:5: tanggal: kunci ganda (tanggal=2026-11-05,jenis=MESIN_RUSAK,device_sn=CKJG001)" in text
    )
    assert "2 masalah; tidak ada baris yang disimpan" in text
    assert count(registry, "raw.koreksi") == 0


def test_koreksi_loads_last_and_through_the_inbox_and_the_folder(registry, tmp_path):
    conn = registry
    assert LOAD_ORDER[-1] == "koreksi"
    assert kind_of(Path("koreksi_november.csv")) == "koreksi" == kind_of(Path("moderasi-dinkes.csv"))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    outcome = process_file(conn, write(inbox, "koreksi_2026-11.csv", HEADER + LUPA), inbox)
    assert (outcome.kind, outcome.status, outcome.rows) == ("koreksi", "loaded", 1)
    again = process_file(conn, write(inbox, "koreksi_lagi.csv", HEADER + LUPA), inbox)
    assert again.status == "duplicate" and again.batch_id == outcome.batch_id
    folder = tmp_path / "regency"
    folder.mkdir()
    write(folder, "koreksi.csv", HEADER + RUSAK)
    loaded = load_generated_regency(conn, folder, attlogs=False)
    assert [(r.kind, r.rows) for r in loaded.references] == [("koreksi", 1)]
    assert count(conn, "raw.koreksi") == 2


def test_raw_koreksi_is_append_only_and_checks_its_batch_kind(registry, tmp_path):
    conn = registry
    load_reference_file(conn, "koreksi", write(tmp_path, "koreksi.csv", HEADER + LUPA))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("update raw.koreksi set jam = '17:00'")
    conn.rollback()
    leave_batch = conn.execute(
        "insert into raw.ingest_batch (kind, started_at, status) values ('leave', now(), 'ok') returning batch_id"
    ).fetchone()[0]
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "insert into raw.koreksi (batch_id, row_no, nip, tanggal, jenis, jam, status)"
            " values (%s, 1, %s, '2026-11-03', 'LUPA_MASUK', '07:10', 'DIAJUKAN')",
            (leave_batch, SITI),
        )
    conn.rollback()
