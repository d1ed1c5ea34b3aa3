"""Bad output paths and bad files to verify end in one Indonesian line (exit 2) naming the path,
before any work is done: never a traceback, never a half-written result (#16 item 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

# Each command that writes, with where its --out goes.
WRITERS = {
    "deductions": ["export", "deductions", "--month", "2026-08", "--format", "csv", "--out"],
    "deductions-xlsx": ["export", "deductions", "--month", "2026-08", "--format", "xlsx", "--out"],
    "ekinerja": ["export", "ekinerja", "--month", "2026-08", "--out"],
    "report": ["report", "monthly", "--month", "2026-08", "--out"],
}
FOLDER_WRITERS = {
    "render": ["dashboards", "render", "--out"],
    "generate": [
        "generate", "--employees", "20", "--devices", "2", "--start", "2026-08-03", "--days", "2",
        "--seed", "1", "--out",
    ],
}  # fmt: skip


def _one_line(result) -> str:
    assert "Traceback" not in result.output, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("galat: ")
    return lines[0]


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_out_that_is_a_folder_is_refused_before_any_work(db_url, run_cli, tmp_path, command):
    folder = tmp_path / "keluaran"
    folder.mkdir()
    result = run_cli(*WRITERS[command], folder)
    assert result.exit_code == 2
    line = _one_line(result)
    assert f"{folder} (--out): itu folder; beri nama berkas, mis. {folder}/" in line
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("command", sorted(WRITERS) + sorted(FOLDER_WRITERS))
def test_out_under_a_file_is_refused(db_url, run_cli, tmp_path, command):
    blocker = tmp_path / "catatan.txt"
    blocker.write_text("bukan folder\n")
    target = blocker / ("hasil.pdf" if command == "report" else "hasil")
    args = WRITERS.get(command) or FOLDER_WRITERS[command]
    result = run_cli(*args, target)
    assert result.exit_code == 2
    line = _one_line(result)
    assert f"{target} (--out): {blocker} adalah berkas, bukan folder" in line
    assert blocker.read_text() == "bukan folder\n"


@pytest.mark.parametrize("command", sorted(FOLDER_WRITERS))
def test_folder_out_that_is_a_file_is_refused(db_url, run_cli, tmp_path, command):
    existing = tmp_path / "dasbor.html"
    existing.write_text("lama\n")
    result = run_cli(*FOLDER_WRITERS[command], existing)
    assert result.exit_code == 2
    assert f"{existing} (--out): sudah ada sebagai berkas, bukan folder" in _one_line(result)
    assert existing.read_text() == "lama\n"


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs (unwritable even for root)")
@pytest.mark.parametrize("command", ["deductions", "report", "render", "generate"])
def test_out_where_nobody_may_write_is_refused(db_url, run_cli, command):
    """sysfs refuses new files to everyone, root included (permission bits alone would not)."""
    target = Path("/sys/kernel/absensi-keluaran")
    args = WRITERS.get(command) or FOLDER_WRITERS[command]
    result = run_cli(*args, target)
    assert result.exit_code == 2
    line = _one_line(result)
    assert f"{target} (--out): tidak bisa ditulis di /sys/kernel: izin ditolak" in line


def test_export_verify_refuses_what_is_not_a_deductions_file(run_cli, tmp_path):
    pdf = tmp_path / "laporan-2026-08.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    cases = {
        pdf: "bukan berkas potongan (hanya .csv atau .xlsx",
        tmp_path: "itu folder; beri nama berkas potongan",
    }
    renamed = tmp_path / "potongan.csv"
    renamed.write_bytes(pdf.read_bytes())
    cases[renamed] = "bukan teks UTF-8"
    fake_xlsx = tmp_path / "potongan.xlsx"
    fake_xlsx.write_bytes(pdf.read_bytes())
    cases[fake_xlsx] = "bukan buku kerja XLSX yang sah"
    for path, words in cases.items():
        result = run_cli("export", "verify", path)
        assert result.exit_code == 2, result.output
        line = _one_line(result)
        assert f"{path}: {words}" in line, line


def test_export_verify_refuses_a_workbook_without_the_sheets(run_cli, tmp_path):
    from openpyxl import Workbook

    path = tmp_path / "lain.xlsx"
    wb = Workbook()
    wb.active.title = "Sheet"
    wb.save(path)
    result = run_cli("export", "verify", path)
    assert result.exit_code == 2
    assert f"{path}: bukan berkas potongan: lembar Checksum, Potongan tidak ada" in _one_line(result)
