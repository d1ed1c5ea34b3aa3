"""Reference load speed: 100,000 employee rows through `load_reference_file` (validate + COPY) versus a
baseline of the same typed rows inserted one statement at a time (executemany) in the same run."""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg

from bench._db import scratch_database
from ingest.reference import KINDS, _Context, load_reference_file, parse_reference_file

ROWS = 100_000
HEADER = "nip,nama,jenis_pegawai,golongan,jabatan,kelas_jabatan,opd_code,tunjangan_pokok,aktif_mulai,aktif_sampai\n"


def _employees_csv(path: Path) -> None:
    first_birth = date(1960, 1, 1)
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(ROWS):
            birth = (first_birth + timedelta(days=i % 3650)).strftime("%Y%m%d")
            out.write(
                f"{birth}2010011{i // 3650:03d},Pegawai {i},PNS,III/a,Staf,5,DINKES,{3_000_000 + i},2020-01-01,\n"
            )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, scratch_database() as url:
        folder = Path(tmp)
        (folder / "opd.csv").write_text("opd_code,nama_opd,jenis_opd\nDINKES,Dinas Kesehatan,DINAS\n")
        _employees_csv(folder / "employees.csv")
        with psycopg.connect(url) as conn:
            load_reference_file(conn, "opd", folder / "opd.csv")
            started = time.perf_counter()
            result = load_reference_file(conn, "employees", folder / "employees.csv")
            copy_seconds = time.perf_counter() - started
            started = time.perf_counter()
            parse_reference_file(folder / "employees.csv", KINDS["employees"], _Context(known_opd={"DINKES"}))
            parse_seconds = time.perf_counter() - started
            rows = conn.execute(
                "select batch_id, row_no, nip, nama, jenis_pegawai, golongan, jabatan, kelas_jabatan, opd_code,"
                " tunjangan_pokok, aktif_mulai, aktif_sampai from raw.employee where batch_id = %s",
                (result.batch_id,),
            ).fetchall()
            started = time.perf_counter()
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(
                    "insert into raw.employee values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [(result.batch_id, r[1] + ROWS + 1, *r[2:]) for r in rows],
                )
            insert_seconds = time.perf_counter() - started
    print(f"load_reference_file, {ROWS:,} employees (validate + COPY): {copy_seconds:.2f} s")
    print(
        f"  of which validation (parse + checks): {parse_seconds:.2f} s; writing (COPY): {copy_seconds - parse_seconds:.2f} s"
    )
    print(f"baseline executemany INSERT of the same rows (no validation): {insert_seconds:.2f} s")
    print(
        f"ratio baseline insert / COPY write: {insert_seconds / max(copy_seconds - parse_seconds, 1e-6):.1f}x"
    )


if __name__ == "__main__":
    main()
