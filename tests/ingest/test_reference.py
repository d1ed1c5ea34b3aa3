"""Reference CSV loads: good files become one batch; any bad row refuses the whole file, listing all."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from ingest.reference import load_reference_file
from warehouse.errors import UserError

OPD = "opd_code,nama_opd,jenis_opd\nDINKES,Dinas Kesehatan,DINAS\nPKM01,Puskesmas Baturaja,PUSKESMAS\n"
EMP_HEADER = "nip,nama,jenis_pegawai,golongan,jabatan,kelas_jabatan,opd_code,tunjangan_pokok,aktif_mulai,aktif_sampai\n"
GOOD_PNS = "198503122010011001,Siti Aminah,PNS,III/c,Analis,9,DINKES,4500000,2020-01-01,\n"
GOOD_PPPK = "199001012019032002,Budi Santoso,PPPK,IX,Perawat,7,PKM01,3000000,2024-02-01,2026-12-31\n"
GOOD_HONORER = "1601014507900001,Rina Wati,HONORER,,Staf,1,PKM01,1500000,2025-01-01,\n"


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def count(conn: psycopg.Connection, table: str) -> int:
    return conn.execute(f"select count(*) from {table}").fetchone()[0]


@pytest.fixture
def with_opd(conn, tmp_path):
    load_reference_file(conn, "opd", write(tmp_path, "opd.csv", OPD))
    return conn


def test_good_files_load_as_batches(with_opd, tmp_path, run_cli):
    conn = with_opd
    emp = write(tmp_path, "employees.csv", EMP_HEADER + GOOD_PNS + GOOD_PPPK + GOOD_HONORER)
    result = run_cli("load", "employees", emp)
    assert result.exit_code == 0, result.output
    assert "3 baris employees" in result.stdout
    rows = conn.execute(
        "select nip, tunjangan_pokok, aktif_sampai from raw.employee order by row_no"
    ).fetchall()
    assert [r[0] for r in rows] == ["198503122010011001", "199001012019032002", "1601014507900001"]
    assert rows[0][1] == 4500000 and rows[0][2] is None
    batch = conn.execute(
        "select kind, status, records_read, source_file from raw.ingest_batch order by batch_id desc limit 1"
    ).fetchone()
    assert batch == ("employees", "ok", 3, "employees.csv")

    pins = write(
        tmp_path, "pins.csv", "nip,device_pin,device_sn\n198503122010011001,101,\n1601014507900001,7,\n"
    )
    assert load_reference_file(conn, "pins", pins).rows == 2
    dev = write(
        tmp_path,
        "devices.csv",
        "device_sn,nama,opd_code,host,port,protocol,timezone\n"
        "CKJG001,Mesin Dinkes,DINKES,10.1.1.5,4370,tcp,\nCKJG002,Mesin PKM,PKM01,10.1.1.6,4370,udp,Asia/Jakarta\n",
    )
    assert load_reference_file(conn, "devices", dev).rows == 2
    assert conn.execute("select name, timezone, active from raw.device order by row_no").fetchall() == [
        ("Mesin Dinkes", None, True),
        ("Mesin PKM", "Asia/Jakarta", True),
    ]
    leave = write(
        tmp_path,
        "leave.csv",
        "nip,jenis,mulai,sampai,nomor_surat\n198503122010011001,CUTI,2026-11-02,2026-11-04,800/12/BKPSDM\n",
    )
    assert load_reference_file(conn, "leave", leave).rows == 1


def test_reload_adds_a_new_batch_and_keeps_the_old(with_opd, tmp_path):
    conn = with_opd
    emp = write(tmp_path, "employees.csv", EMP_HEADER + GOOD_PNS)
    first = load_reference_file(conn, "employees", emp)
    emp.write_text(EMP_HEADER + GOOD_PNS.replace("4500000", "4700000"))
    second = load_reference_file(conn, "employees", emp)
    assert second.batch_id > first.batch_id
    amounts = conn.execute("select batch_id, tunjangan_pokok from raw.employee order by batch_id").fetchall()
    assert amounts == [(first.batch_id, 4500000), (second.batch_id, 4700000)]


BAD_CASES = {
    "nip_not_18_digits": (
        EMP_HEADER + GOOD_PNS.replace("198503122010011001", "19850312201001100"),
        ":2: nip: NIP harus 18 angka",
    ),
    "nip_bad_birth_date": (
        EMP_HEADER + GOOD_PNS.replace("19850312", "19851312"),
        ":2: nip: NIP 198513122010011001: 8 angka pertama",
    ),
    "nip_bad_tmt": (EMP_HEADER + GOOD_PNS.replace("201001", "201013"), ":2: nip:"),
    "nip_bad_gender": (
        EMP_HEADER + GOOD_PNS.replace("2010011001", "2010013001"),
        ":2: nip: NIP 198503122010013001: angka ke-15",
    ),
    "honorer_needs_nik": (
        EMP_HEADER + GOOD_PNS.replace(",PNS,", ",HONORER,"),
        ":2: nip: NIK honorer harus 16 angka",
    ),
    "unknown_jenis": (
        EMP_HEADER + GOOD_PNS.replace(",PNS,", ",KONTRAK,"),
        ":2: jenis_pegawai: 'KONTRAK' bukan",
    ),
    "unknown_opd": (
        EMP_HEADER + GOOD_PNS.replace(",DINKES,", ",DISHUB,"),
        ":2: opd_code: OPD 'DISHUB' tidak dikenal",
    ),
    "negative_tunjangan": (
        EMP_HEADER + GOOD_PNS.replace("4500000", "-5"),
        ":2: tunjangan_pokok: tidak boleh negatif",
    ),
    "decimal_tunjangan": (
        EMP_HEADER + GOOD_PNS.replace("4500000", "4500000.50"),
        ":2: tunjangan_pokok: harus bilangan bulat",
    ),
    "sampai_before_mulai": (
        EMP_HEADER + GOOD_PNS.replace("2020-01-01,", "2020-01-01,2019-12-31"),
        ":2: aktif_sampai: 2019-12-31 sebelum aktif_mulai",
    ),
    "duplicate_key": (
        EMP_HEADER + GOOD_PNS + GOOD_PPPK + GOOD_PNS,
        ":4: nip: kunci ganda (nip=198503122010011001), sudah ada di baris 2",
    ),
    "wrong_header": (
        EMP_HEADER.replace("tunjangan_pokok", "tunjangan") + GOOD_PNS,
        ":1: header: kolom wajib tidak ada: tunjangan_pokok; kolom tidak dikenal: tunjangan",
    ),
    "empty_file": ("", ":1: berkas kosong"),
    "header_only": (EMP_HEADER, ":2: berkas tanpa baris data"),
    # issue 16 item 10: these crashed with a traceback (and left no failed batch)
    "tunjangan_20_digits": (
        EMP_HEADER + GOOD_PNS.replace("4500000", "12345678901234567890"),
        ":2: tunjangan_pokok: 12345678901234567890 melebihi batas wajar",
    ),
    "kelas_jabatan_11_digits": (
        EMP_HEADER + GOOD_PNS.replace(",Analis,9,", ",Analis,12345678901,"),
        ":2: kelas_jabatan: kelas jabatan harus bilangan bulat 1–17",
    ),
    "nul_in_a_cell": (
        EMP_HEADER + GOOD_PNS.replace("Siti Aminah", "Siti\x00Aminah"),
        ":2: berisi karakter NUL",
    ),
    "utf16_without_bom": (
        (EMP_HEADER + GOOD_PNS).encode("utf-16-le"),
        ":1: berisi karakter NUL; berkas UTF-16 tanpa BOM?",
    ),
    "utf16_with_bom": ((EMP_HEADER + GOOD_PNS).encode("utf-16"), ":1: berkas UTF-16"),
    # item 5: line breaks and control characters in text fields
    **{
        f"control_{name}": (
            EMP_HEADER + GOOD_PNS.replace("Siti Aminah", f'"Siti{char}Aminah"'),
            f":2: nama: berisi karakter kendali/ganti baris U+{ord(char):04X}",
        )
        for name, char in {
            "lf": "\n",
            "cr": "\r",
            "u2028": "\u2028",
            "nel": "\x85",
            "vt": "\x0b",
            "esc": "\x1b",
        }.items()
    },  # fmt: skip
    "control_in_jabatan": (
        EMP_HEADER + GOOD_PNS.replace(",Analis,", ',"Ana\u2029lis",'),
        ":2: jabatan: berisi karakter kendali/ganti baris U+2029",
    ),
    # item 13: silent acceptances
    "iso_week_date": (
        EMP_HEADER + GOOD_PNS.replace("2020-01-01", "2020-W01-1"),
        ":2: aktif_mulai: tanggal tidak sah '2020-W01-1'",
    ),
    "year_0001": (
        EMP_HEADER + GOOD_PNS.replace("2020-01-01", "0001-01-01"),
        ":2: aktif_mulai: tanggal 0001-01-01 di luar",
    ),
    "year_9999": (
        EMP_HEADER + GOOD_PNS.replace("2020-01-01,", "2020-01-01,9999-12-31"),
        ":2: aktif_sampai: tanggal 9999-12-31 di luar",
    ),
    "zero_width_name": (
        EMP_HEADER + GOOD_PNS.replace("Siti Aminah", "\u200b\u200b\ufeff"),
        ":2: nama: wajib diisi (hanya berisi spasi/karakter tak terlihat)",
    ),
    "tunjangan_minus_zero": (
        EMP_HEADER + GOOD_PNS.replace("4500000", "-0"),
        ":2: tunjangan_pokok: tidak boleh negatif (-0)",
    ),
    "tunjangan_non_ascii_digits": (
        EMP_HEADER + GOOD_PNS.replace("4500000", "\u0664\u0665\u0660\u0660\u0660\u0660\u0660"),
        ":2: tunjangan_pokok: harus bilangan bulat",
    ),
    "kelas_non_ascii_digits": (
        EMP_HEADER + GOOD_PNS.replace(",Analis,9,", ",Analis,\uff19,"),
        ":2: kelas_jabatan: kelas jabatan harus",
    ),
    "semicolon_separated": (
        (EMP_HEADER + GOOD_PNS).replace(",", ";"),
        ":1: header: pemisah ';' — gunakan ','",
    ),
    "wrong_encoding": (
        (EMP_HEADER + GOOD_PNS.replace("Siti Aminah", "Siti Am\xednah")).encode("latin-1"),
        ":2: berkas bukan UTF-8",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_file_stores_nothing_and_names_the_row(case, with_opd, tmp_path, run_cli):
    conn = with_opd
    good = load_reference_file(conn, "employees", write(tmp_path, "good.csv", EMP_HEADER + GOOD_PPPK))
    before = conn.execute("select * from raw.employee order by batch_id, row_no").fetchall()
    text, expected = BAD_CASES[case]
    path = write(tmp_path, "employees.csv", text)
    result = run_cli("load", "employees", path)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{path}{expected}" in result.stderr, result.stderr
    assert conn.execute("select * from raw.employee order by batch_id, row_no").fetchall() == before
    failed = conn.execute(
        "select status, error from raw.ingest_batch where batch_id > %s", (good.batch_id,)
    ).fetchall()
    assert len(failed) == 1 and failed[0][0] == "failed" and expected.split(": ", 1)[-1][:20] in failed[0][1]


def test_every_bad_row_is_reported_not_just_the_first(with_opd, tmp_path):
    text = (
        EMP_HEADER
        + GOOD_PNS.replace(",PNS,", ",XX,")
        + GOOD_PPPK.replace("3000000", "-1")
        + GOOD_HONORER.replace(",PKM01,", ",NOPE,").replace("2025-01-01", "2025-13-01")
    )
    path = write(tmp_path, "employees.csv", text)
    with pytest.raises(UserError) as info:
        load_reference_file(with_opd, "employees", path)
    problems = info.value.problems
    assert [p.split(": ")[0] for p in problems] == [f"{path}:2", f"{path}:3", f"{path}:4", f"{path}:4"]
    assert {p.split(": ")[1] for p in problems} == {
        "jenis_pegawai",
        "tunjangan_pokok",
        "opd_code",
        "aktif_mulai",
    }


def test_leave_and_pin_checks(with_opd, tmp_path):
    conn = with_opd
    load_reference_file(conn, "employees", write(tmp_path, "e.csv", EMP_HEADER + GOOD_PNS))
    leave = write(
        tmp_path,
        "leave.csv",
        "nip,jenis,mulai,sampai,nomor_surat\n"
        "198503122010011001,LIBUR,2026-11-02,2026-11-04,\n"
        "198503122010011001,SAKIT,2026-11-05,2026-11-04,\n"
        "199912312020011001,CUTI,2026-11-02,2026-11-02,\n",
    )
    with pytest.raises(UserError) as info:
        load_reference_file(conn, "leave", leave)
    text = "\n".join(info.value.problems)
    assert f"{leave}:2: jenis: 'LIBUR' bukan" in text
    assert f"{leave}:3: sampai: 2026-11-04 sebelum mulai 2026-11-05" in text
    assert f"{leave}:4: nip: NIP 199912312020011001 tidak ada" in text
    pins = write(tmp_path, "pins.csv", "nip,device_pin,device_sn\n198503122010011001,101,GHOST\n")
    with pytest.raises(UserError, match=r"pins.csv:2: device_sn: mesin 'GHOST' tidak terdaftar"):
        load_reference_file(conn, "pins", pins)
    assert count(conn, "raw.leave") == 0 and count(conn, "raw.employee_pin") == 0


def test_unknown_kind_and_missing_file(conn, tmp_path, run_cli):
    assert run_cli("load", "gaji", tmp_path / "x.csv").exit_code == 2
    result = run_cli("load", "opd", tmp_path / "missing.csv")
    assert result.exit_code == 2 and "tidak ditemukan" in result.stderr


def test_hundred_thousand_employees_load_with_copy(with_opd, tmp_path):
    """Not a timing assertion (bench/ has the figure): the large path must work and be complete."""
    # NIPs: distinct (birth date, serial) pairs keep them valid and unique.
    lines = [EMP_HEADER]
    first_birth = date(1960, 1, 1)
    for i in range(100_000):
        birth = (first_birth + timedelta(days=i % 3650)).strftime("%Y%m%d")
        nip = f"{birth}2010011{i // 3650:03d}"
        lines.append(f"{nip},Pegawai {i},PNS,III/a,Staf,5,DINKES,{3_000_000 + i},2020-01-01,\n")
    path = write(tmp_path, "big.csv", "".join(lines))
    started = time.perf_counter()
    result = load_reference_file(with_opd, "employees", path)
    elapsed = time.perf_counter() - started
    assert result.rows == 100_000
    assert count(with_opd, "raw.employee") == 100_000
    print(f"100k employees loaded in {elapsed:.1f}s")


def test_opd_codes_differing_only_in_case_and_unknown_kinds_are_refused(with_opd, tmp_path):
    """SETDA and setda are one OPD typed twice (within a file or against the warehouse); a jenis_opd
    outside seed opd_types is a typo; a known one in other case is stored in the seed's spelling."""
    conn = with_opd
    bad = write(
        tmp_path,
        "opd2.csv",
        "opd_code,nama_opd,jenis_opd\nSETDA,Sekretariat Daerah,SETDA\nsetda,Setda,SETDA\n"
        "dinkes,Dinas Kesehatan,DINAS\nDISHUB,Dinas Perhubungan,DINAS_LUAR\n",
    )
    with pytest.raises(UserError) as info:
        load_reference_file(conn, "opd", bad)
    text = "\n".join(info.value.problems)
    assert f"{bad}:3: opd_code: 'setda' hanya beda huruf besar/kecil dengan OPD 'SETDA'" in text
    assert f"{bad}:4: opd_code: 'dinkes' hanya beda huruf besar/kecil dengan OPD 'DINKES'" in text
    assert f"{bad}:5: jenis_opd: jenis_opd 'DINAS_LUAR' tidak dikenal" in text
    assert len(info.value.problems) == 3
    good = write(tmp_path, "opd3.csv", "opd_code,nama_opd,jenis_opd\nSETDA,Sekretariat Daerah,setda\n")
    load_reference_file(conn, "opd", good)
    assert conn.execute("select jenis_opd from raw.opd where opd_code = 'SETDA'").fetchone() == ("SETDA",)
    emp = write(tmp_path, "e.csv", EMP_HEADER + GOOD_PNS.replace(",DINKES,", ",Dinkes,"))
    with pytest.raises(
        UserError, match=r"e.csv:2: opd_code: OPD 'Dinkes' tidak dikenal; maksud Anda 'DINKES'"
    ):
        load_reference_file(conn, "employees", emp)


def test_leave_longer_than_the_seed_maximum_is_refused(with_opd, tmp_path):
    from warehouse.seeds import read_seed

    conn = with_opd
    load_reference_file(conn, "employees", write(tmp_path, "e.csv", EMP_HEADER + GOOD_PNS))
    longest = {r["leave_type"]: int(r["max_days"]) for r in read_seed("leave_max_days")}
    start = date(2026, 11, 2)
    at_limit = start + timedelta(days=longest["SAKIT"] - 1)
    ten_years = date(2036, 11, 6)
    leave = write(
        tmp_path,
        "leave.csv",
        "nip,jenis,mulai,sampai,nomor_surat\n"
        f"198503122010011001,CUTI,{start},{ten_years},800/1/BKPSDM\n"
        f"198503122010011001,SAKIT,2030-01-01,{date(2030, 1, 1) + timedelta(days=longest['SAKIT'])},\n",
    )
    with pytest.raises(UserError) as info:
        load_reference_file(conn, "leave", leave)
    assert [p.split(": ")[0:2] for p in info.value.problems] == [
        [f"{leave}:2", "sampai"],
        [f"{leave}:3", "sampai"],
    ]
    assert f"CUTI {(ten_years - start).days + 1} hari" in info.value.problems[0]
    ok = write(
        tmp_path,
        "leave_ok.csv",
        f"nip,jenis,mulai,sampai,nomor_surat\n198503122010011001,SAKIT,{start},{at_limit},\n",
    )
    assert load_reference_file(conn, "leave", ok).rows == 1


def test_a_file_of_many_bad_rows_shows_the_first_200_and_the_count(with_opd, tmp_path, run_cli):
    rows = "".join(
        GOOD_PNS.replace("4500000", "-1").replace("198503122010011001", f"{i:018d}") for i in range(5000)
    )
    path = write(tmp_path, "employees.csv", EMP_HEADER + rows)
    result = run_cli("load", "employees", path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    problem_lines = [line for line in lines if line.startswith(f"{path}:")]
    assert len(problem_lines) == 200  # rich once turned "FILE:100: ..." into "FILE💯 ..."
    total = 5000 * 2  # each row: a bad NIP and a negative tunjangan
    assert f"... dan {total - 200} masalah lain" in result.stderr
    assert f"{path}: {total} masalah; tidak ada baris yang disimpan" in result.stderr
    error = with_opd.execute(
        "select error from raw.ingest_batch where status = 'failed' order by batch_id desc limit 1"
    ).fetchone()[0]
    assert len(error.splitlines()) == 201 and error.endswith(f"... dan {total - 200} masalah lain")


def test_kinerja_scores_load_and_bad_rows_are_refused(with_opd, tmp_path, run_cli):
    """`absensi load kinerja`: nip, bulan (YYYY-MM), nilai 0–100; one bad row refuses the whole file."""
    conn = with_opd
    load_reference_file(conn, "employees", write(tmp_path, "employees.csv", EMP_HEADER + GOOD_PNS))
    good = write(tmp_path, "kinerja.csv", "nip,bulan,nilai\n198503122010011001,2026-02,85\n")
    result = run_cli("load", "kinerja", good)
    assert result.exit_code == 0, result.output
    assert conn.execute("select nip, bulan, nilai from raw.kinerja").fetchall() == [
        ("198503122010011001", date(2026, 2, 1), 85)
    ]
    bad = write(
        tmp_path,
        "kinerja_bad.csv",
        "nip,bulan,nilai\n198503122010011001,2026-03,100.5\n199901012020011001,2026-03,80\n"
        "198503122010011001,2026-13,70\n",
    )
    with pytest.raises(UserError) as err:
        load_reference_file(conn, "kinerja", bad)
    message = str(err.value)
    assert "kinerja_bad.csv:2: nilai:" in message and "di luar 0–100" in message
    assert "kinerja_bad.csv:3: nip:" in message
    assert "kinerja_bad.csv:4: bulan:" in message
    assert count(conn, "raw.kinerja") == 1


def test_roster_loads_and_bad_rows_are_refused(with_opd, tmp_path, run_cli):
    """`absensi load roster` (issue 14): nip, tanggal, shift_code (seed shift_types, L = day off). Unknown
    code or NIP, a date outside the employee's active period, a duplicate (nip, tanggal) and two shifts
    of one person that overlap in time each refuse the whole file."""
    conn = with_opd
    load_reference_file(
        conn, "employees", write(tmp_path, "employees.csv", EMP_HEADER + GOOD_PNS + GOOD_PPPK)
    )
    pns, pppk = "198503122010011001", "199001012019032002"
    good = write(
        tmp_path,
        "roster.csv",
        f"nip,tanggal,shift_code\n{pns},2026-10-09,MALAM\n{pns},2026-10-10,l\n{pns},2026-10-11,SIANG\n"
        f"{pns},2026-10-12,PAGI\n",
    )
    result = run_cli("load", "roster", good)
    assert result.exit_code == 0, result.output
    assert conn.execute("select shift_code from raw.roster order by tanggal").fetchall() == [
        ("MALAM",),
        ("L",),
        ("SIANG",),
        ("PAGI",),
    ]
    bad = write(
        tmp_path,
        "roster_bad.csv",
        "nip,tanggal,shift_code\n"
        f"{pns},2026-11-02,SORE\n"  # 2: unknown code
        f"199901012020011001,2026-11-02,PAGI\n"  # 3: unknown NIP
        f"{pppk},2027-01-04,PAGI\n"  # 4: after aktif_sampai
        f"{pns},2026-11-03,MALAM\n"  # 5
        f"{pns},2026-11-03,PAGI\n"  # 6: duplicate (nip, tanggal)
        f"{pns},2026-11-04,PAGI\n",  # 7: 07:00 on the 4th, while the night of the 3rd runs to 07:00: touching, fine
    )
    with pytest.raises(UserError) as err:
        load_reference_file(conn, "roster", bad)
    message = str(err.value)
    assert "roster_bad.csv:2: shift_code:" in message and "tidak dikenal" in message
    assert "roster_bad.csv:3: nip:" in message
    assert "roster_bad.csv:4: tanggal:" in message and "masa aktif" in message
    assert "roster_bad.csv:6: nip: kunci ganda" in message
    assert "roster_bad.csv:7" not in message
    # a 24-hour duty from 08:00 runs to 08:00 the next day: a 07:00 morning shift then overlaps it
    # (whichever row comes first in the file)
    overlap = write(
        tmp_path,
        "roster_overlap.csv",
        f"nip,tanggal,shift_code\n{pns},2026-11-05,JAGA24\n{pns},2026-11-06,PAGI\n"
        f"{pppk},2026-11-10,PAGI\n{pppk},2026-11-09,JAGA24\n",
    )
    with pytest.raises(UserError) as err:
        load_reference_file(conn, "roster", overlap)
    message = str(err.value)
    assert (
        "roster_overlap.csv:3: shift_code: PAGI 06-11 07:00–06-11 14:00 bertumpang tindih dengan JAGA24"
        in message
    )
    assert "roster_overlap.csv:5: shift_code: JAGA24" in message and "(baris 4)" in message
    assert count(conn, "raw.roster") == 4


def test_a_roster_may_not_overlap_a_stored_shift_it_leaves_in_place(with_opd, tmp_path):
    """Overlap is checked against the rosters already stored too (issue 14): a PAGI on the day after a
    stored JAGA24 refuses the file, naming the stored shift; the same PAGI with the JAGA24 day replaced
    in the same file (newest batch wins per nip, tanggal) loads."""
    conn = with_opd
    load_reference_file(conn, "employees", write(tmp_path, "employees.csv", EMP_HEADER + GOOD_PNS))
    pns = "198503122010011001"
    load_reference_file(
        conn, "roster", write(tmp_path, "roster_1.csv", f"nip,tanggal,shift_code\n{pns},2026-11-05,JAGA24\n")
    )
    later = write(
        tmp_path, "roster_2.csv", f"nip,tanggal,shift_code\n{pns},2026-11-09,SIANG\n{pns},2026-11-06,PAGI\n"
    )
    with pytest.raises(UserError) as err:
        load_reference_file(conn, "roster", later)
    message = str(err.value)
    assert (
        "roster_2.csv:3: shift_code: PAGI 06-11 07:00–06-11 14:00 bertumpang tindih dengan JAGA24 "
        "05-11 08:00–06-11 08:00 yang sudah tersimpan (2026-11-05) untuk NIP 198503122010011001"
    ) in message
    assert "roster_2.csv:2" not in message
    assert count(conn, "raw.roster") == 1
    # a night before a stored PAGI overlaps too (the stored shift is the later one)
    load_reference_file(
        conn, "roster", write(tmp_path, "roster_3.csv", f"nip,tanggal,shift_code\n{pns},2026-11-20,PAGI\n")
    )
    with pytest.raises(UserError, match="roster_4.csv:2: shift_code: JAGA24 .* dengan PAGI"):
        load_reference_file(
            conn,
            "roster",
            write(tmp_path, "roster_4.csv", f"nip,tanggal,shift_code\n{pns},2026-11-19,JAGA24\n"),
        )
    replaced = write(
        tmp_path, "roster_5.csv", f"nip,tanggal,shift_code\n{pns},2026-11-05,L\n{pns},2026-11-06,PAGI\n"
    )
    assert load_reference_file(conn, "roster", replaced).rows == 2
    assert count(conn, "raw.roster") == 4
