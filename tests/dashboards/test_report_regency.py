"""The monthly report and the close for a regency of real size: 85 devices, 71 OPDs (the demo's OKU).

One generated October 2026, built by real dbt; the close runs every step (full build, GX gate, lock,
finance export, PDF). The PDF's text is read back with pypdf."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from pypdf import PdfReader

REGENCY_NAME = "Kabupaten Ogan Komering Ulu"
OCTOBER = date(2026, 10, 1)
FAILED_DEVICE_NOTE = "waktu habis (uji)"

pytestmark = pytest.mark.slow


def _pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


@pytest.fixture(scope="module")
def regency(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from absensi.transform import run_build
    from ingest.folder import load_generated_regency
    from ingest.generator import generate
    from ingest.raw_loader import record_failed_batch
    from tests.conftest import create_database, drop_database, resolved_settings
    from warehouse.migrate import migrate

    folder = tmp_path_factory.mktemp("regency71")
    generate(folder, employees=400, devices=85, start="2026-10-01", days=31, seed=5)
    url = create_database(pg_server_url, prefix="r71")
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        load_generated_regency(conn, folder)
        # one machine failed a read in the middle of October: the October report must say so
        device = conn.execute("select min(device_sn) from raw.device").fetchone()[0]
        record_failed_batch(
            conn, kind="pull", device_sn=device, started_at=datetime(2026, 10, 15, 3, 0, tzinfo=UTC),
            error=FAILED_DEVICE_NOTE,
        )  # fmt: skip
    window = {"attendance_start": "2026-10-01", "attendance_end": "2026-10-31"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ABSENSI_DATABASE_URL", url)
        run_build(url, resolved_settings(), vars=window, unit_tests=False)
    yield url, folder
    drop_database(pg_server_url, url)


def test_draft_report_for_71_opds(regency, tmp_path):
    """Every OPD in the table (across pages), the chart limited to the best and worst ten, a DRAF mark
    and page numbers on every page, the regency's name, the generation time in WIB."""
    from dashboards.report import build_monthly_report

    url, _ = regency
    out = build_monthly_report(
        OCTOBER, tmp_path / "oktober.pdf", url, "Asia/Jakarta", regency_name=REGENCY_NAME,
        generated_at=datetime(2026, 11, 2, 1, 30, tzinfo=UTC),
    )  # fmt: skip
    pages = _pages(out)
    text = "\n".join(pages)
    with psycopg.connect(url) as conn:
        opds = [r[0] for r in conn.execute(
            "select nama_opd from marts.mart_opd_discipline_monthly where month = %s", (OCTOBER,)
        )]  # fmt: skip
        best, worst = conn.execute(
            """select (array_agg(nama_opd order by discipline_rank, opd_code))[1],
                      (array_agg(nama_opd order by discipline_rank desc, opd_code desc))[1]
               from marts.mart_opd_discipline_monthly where month = %s""",
            (OCTOBER,),
        ).fetchone()
        failed_device = conn.execute(
            "select device_sn from marts.mart_ingest_batch where state = 'failed'"
        ).fetchone()[0]
    assert len(opds) == 71
    flat = " ".join(text.split())
    missing = [name for name in opds if " ".join(name.split()) not in flat]
    assert not missing, f"OPDs missing from the report: {missing}"
    assert "10 OPD teratas dan 10 terbawah dari 71 OPD" in flat
    for number, page in enumerate(pages, start=1):
        assert f"Halaman {number} dari {len(pages)}" in page
        assert "DRAF" in page and REGENCY_NAME in page
    assert "Dibuat 02-11-2026 08:30 WIB" in text  # 01:30 UTC in the regency's zone
    assert f"OPD paling disiplin: {best}" in flat and f"paling rendah: {worst}" in flat
    assert "belum ada data September 2026 untuk pembanding" in flat
    # machine health as it was in October: the failed read of 15 October is listed for that machine
    assert "Kesehatan mesin absensi selama Oktober 2026" in flat
    assert failed_device in text and "ADA PEMBACAAN GAGAL" in flat  # listed, not summed away


def test_ties_share_a_rank_and_are_listed_by_name_not_nip(regency):
    from dashboards.report import MOST_DISCIPLINED_SQL, TOP_N, _query, _ranked

    url, _ = regency
    with psycopg.connect(url) as conn:
        section = _query(conn, MOST_DISCIPLINED_SQL, (OCTOBER, TOP_N))
    assert section.error is None
    k, name = section.columns.index("peringkat"), section.columns.index("nama")
    first_rank = [r for r in section.rows if r[k] == 1]
    assert len(first_rank) > TOP_N  # the generated month has many perfect records
    assert [r[name] for r in first_rank] == sorted(r[name] for r in first_rank)
    shown, note = _ranked(section, TOP_N)
    assert len(shown.rows) == TOP_N and all(r[k] == "1 (seri)" for r in shown.rows)
    assert (
        note
        == f"{len(first_rank) - TOP_N} pegawai lain juga berperingkat 1 (nilai sama) dan tidak ditampilkan."
    )


def test_machine_health_is_as_of_the_month_reported(regency):
    """A read that failed in October shows in October's machine health, not in September's."""
    from dashboards.report import DEVICES_AS_OF_SQL, _query

    url, _ = regency
    with psycopg.connect(url, options="-c timezone=Asia/Jakarta") as conn:
        october = _query(conn, DEVICES_AS_OF_SQL, {"first": OCTOBER, "next": date(2026, 11, 1)})
        september = _query(conn, DEVICES_AS_OF_SQL, {"first": date(2026, 9, 1), "next": OCTOBER})
    failed = {r[0]: r for r in october.rows if r[october.columns.index("baca_gagal")] == 1}
    assert len(failed) == 1
    assert all(r[september.columns.index("baca_gagal")] == 0 for r in september.rows)
    # every machine was read (USB import) after October ended: nothing "not read after the month"
    states = {r[october.columns.index("keadaan")] for r in october.rows}
    assert "BELUM TERBACA SETELAH AKHIR BULAN" not in states and "TIDAK PERNAH TERBACA" not in states


def test_close_for_71_opds_writes_export_and_report_and_one_failure_hides_nothing(regency, tmp_path):
    from absensi.edge import Edge
    from absensi.orchestration.monthly import close_month, report_and_export
    from dashboards.export import verify_file
    from tests.conftest import resolved_settings
    from warehouse.errors import UserError

    url, _ = regency
    edge = Edge(resolved_settings(regency_name=REGENCY_NAME), url)
    summary = close_month(edge, OCTOBER, out_dir=tmp_path / "out", now=datetime.now(UTC))
    outputs = summary.steps["outputs"]
    pdf = Path(outputs["report"])
    pages = _pages(pdf)
    assert all("FINAL" in page and "DRAF" not in page for page in pages)
    assert "Laporan Disiplin Pegawai ASN" in pages[0] and REGENCY_NAME in pages[0]
    assert [Path(e["path"]).suffix for e in outputs["exports"]] == [".xlsx", ".csv"]
    # the report cannot be written (its path is a directory): the export is still written, the error says which
    again = tmp_path / "again"
    (again / "laporan_disiplin_2026-10.pdf").mkdir(parents=True)
    with pytest.raises(UserError) as failure:
        report_and_export(edge, OCTOBER, out_dir=again)
    assert "laporan PDF gagal" in str(failure.value) and "ekspor keuangan" not in str(failure.value)
    assert "sudah dikunci" in str(failure.value)
    for fmt in ("xlsx", "csv"):
        written = again / f"potongan_tunjangan_2026-10.{fmt}"
        assert written.is_file() and verify_file(written)[0]
