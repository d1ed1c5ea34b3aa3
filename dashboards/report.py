"""The monthly discipline report for the Bupati and Sekda: a PDF in Bahasa Indonesia.

Its figures come from the same card SQL as the dashboards (one definition of each number), run for
the chosen month; sections whose source is not built yet say so instead of failing the report."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from reportlab.lib import colors  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet  # noqa: E402
from reportlab.lib.units import cm  # noqa: E402
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # noqa: E402

from dashboards.marts import require_marts, run_card  # noqa: E402
from dashboards.render import fmt  # noqa: E402
from dashboards.spec import load_specs  # noqa: E402
from warehouse import db  # noqa: E402
from warehouse.errors import UserError  # noqa: E402
from warehouse.months import iso_month, month_label  # noqa: E402

TOP_N = 10

# Regency-wide, ordered like the mart's rank inside an OPD: fewest TK days, most on-time days,
# fewest late / early-leave days.
MOST_DISCIPLINED_SQL = """
select e.nip, e.nama, o.nama_opd, e.days_hadir, e.days_tk, e.days_on_time, e.days_late, e.days_early_leave
from marts.mart_employee_discipline_monthly as e
left join marts.mart_opd_discipline_monthly as o on o.opd_code = e.opd_code and o.month = e.month
where e.month = %s
order by e.days_tk, e.days_on_time desc, e.days_late + e.days_early_leave, e.nip
limit %s
"""
MOST_ABSENT_SQL = """
select e.nip, e.nama, o.nama_opd, e.days_tk, e.days_hadir, e.days_late, e.days_early_leave
from marts.mart_employee_discipline_monthly as e
left join marts.mart_opd_discipline_monthly as o on o.opd_code = e.opd_code and o.month = e.month
where e.month = %s and e.days_tk > 0
order by e.days_tk desc, e.days_hadir, e.nip
limit %s
"""


# PP 94/2021 levels as of the report's month: cumulative TK days from January to that month (the
# deduction mart, so locked months count as paid) against the rule seed. mart_discipline_sanction holds
# the same through its latest month; a report for an earlier month must not show later absences.
SANCTIONS_AS_OF_SQL = """
with tk as (
    select m.nip, sum(m.days_tk)::integer as tk_days,
           (array_agg(m.opd_code order by m.month desc))[1] as opd_code
    from marts.fct_allowance_deduction_monthly as m
    where m.month >= date_trunc('year', %(month)s::date) and m.month <= %(month)s
    group by m.nip
),
names as (
    select distinct on (nip) nip, nama from marts.mart_employee_discipline_monthly
    where month <= %(month)s order by nip, month desc
),
opd as (
    select distinct on (opd_code) opd_code, nama_opd from marts.mart_opd_discipline_monthly
    where month <= %(month)s order by opd_code, month desc
)
select tk.nip, names.nama, opd.nama_opd, tk.tk_days as hari_tk_kumulatif, l.level as tingkat,
       l.sanction as sanksi
from tk
join staging.sanction_levels as l
  on tk.tk_days between l.min_tk_days and coalesce(l.max_tk_days, 2147483647)
left join names on names.nip = tk.nip
left join opd on opd.opd_code = tk.opd_code
where l.level > 0
order by l.level desc, tk.tk_days desc, tk.nip
"""


@dataclass
class Section:
    columns: list[str]
    rows: list[tuple]
    error: str | None = None


class _Cards:
    """Run spec cards by key with the report's filter values."""

    def __init__(self, conn, values: dict[str, Any]) -> None:
        self.conn = conn
        self.values = values
        self.cards = {f"{d.key}/{c.key}": c for d in load_specs() for c in d.cards}

    def run(self, key: str) -> Section:
        try:
            columns, rows = run_card(self.conn, self.cards[key], self.values)
            return Section(columns, rows)
        except Exception as exc:  # a mart not built yet: the section says so, the report goes on
            self.conn.rollback()
            return Section([], [], str(exc).splitlines()[0])

    def scalar(self, key: str) -> Any:
        section = self.run(key)
        return section.rows[0][0] if section.rows else None


def _query(conn, sql: str, params: tuple | dict) -> Section:
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return Section([d.name for d in cur.description], cur.fetchall())
    except Exception as exc:
        conn.rollback()
        return Section([], [], str(exc).splitlines()[0])


def sanctions_as_of(conn, month: date) -> Section:
    """Employees at a PP 94/2021 level by the end of `month`."""
    return _query(conn, SANCTIONS_AS_OF_SQL, {"month": month})


def quality_status(conn, month: date) -> tuple[str, list[str]]:
    """(status line, failed checks) of the newest quality-gate run covering the month (or all months);
    'belum diperiksa' when the quality schema or a run does not exist."""
    if not db.relation_exists(conn, "quality.run"):
        return "belum diperiksa (hasil pemeriksaan mutu data belum tersedia)", []
    try:
        run = conn.execute(
            """select run_id, finished_at, publishable, expectations, failed_blocking, failed_warning
               from quality.run where month = %s or month is null
               order by started_at desc limit 1""",
            (month,),
        ).fetchone()
        if run is None:
            return "belum diperiksa (belum ada pemeriksaan untuk bulan ini)", []
        failed = [
            f"{r[0]}: {r[1]}"
            for r in conn.execute(
                """select asset, description from quality.result
                   where run_id = %s and not success order by severity, asset, expectation limit 8""",
                (run[0],),
            ).fetchall()
        ]
    except Exception as exc:  # the quality schema of another version: report it, do not fail
        conn.rollback()
        return f"belum diperiksa ({str(exc).splitlines()[0]})", []
    run_id, finished, publishable, total, blocking, warning = run
    verdict = "LULUS (layak terbit)" if publishable else "TIDAK LULUS (tidak layak terbit)"
    line = (
        f"{verdict}; {fmt(total)} pemeriksaan, {fmt(blocking)} gagal kritis, {fmt(warning)} peringatan "
        f"(pemeriksaan {fmt(finished)})"
    )
    return line, failed


def _ranking_chart(section: Section) -> Image | None:
    if section.error or not section.rows:
        return None
    cols = section.columns
    names = [str(r[cols.index("nama_opd")]) for r in section.rows]
    att = [float(r[cols.index("tingkat_kehadiran")] or 0) for r in section.rows]
    punct = [float(r[cols.index("tingkat_tepat_waktu")] or 0) for r in section.rows]
    height = max(2.5, 0.28 * len(names) + 1.0)
    fig, ax = plt.subplots(figsize=(7.0, height), dpi=120)
    pos = range(len(names))
    ax.barh([p - 0.2 for p in pos], att, height=0.4, label="Kehadiran (%)", color="#1f5fa8")
    ax.barh([p + 0.2 for p in pos], punct, height=0.4, label="Tepat waktu (%)", color="#f0a030")
    ax.set_yticks(list(pos), names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("Peringkat OPD", fontsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    buffer.seek(0)
    return Image(buffer, width=16 * cm, height=16 * cm * height / 7.0)


CONTENT_WIDTH = A4[0] - 3.2 * cm


def _column_widths(labels: list[str], texts: list[list[str]]) -> list[float]:
    """Short columns (codes, NIPs, numbers) keep their natural width; long text columns share the rest."""
    per_char, pad = 0.155 * cm, 0.4 * cm
    natural = []
    for k, label in enumerate(labels):
        longest_word = max(len(w) for w in label.split())
        natural.append((max([longest_word] + [len(t[k]) for t in texts]) + 1) * per_char + pad)
    if sum(natural) <= CONTENT_WIDTH:
        return natural
    fixed = [w if w <= 3.2 * cm else 0.0 for w in natural]
    flexible = [w if w > 3.2 * cm else 0.0 for w in natural]
    room = max(CONTENT_WIDTH - sum(fixed), 2 * cm)
    return [f or room * x / sum(flexible) for f, x in zip(fixed, flexible, strict=True)]


def _table(section: Section, columns: list[tuple[str, str]], empty: str) -> Any:
    """A table that fits the page: cells wrap, column widths follow their content."""
    styles = getSampleStyleSheet()
    if section.error:
        return Paragraph(f"<i>Data belum tersedia: {escape(section.error)}</i>", styles["BodyText"])
    if not section.rows:
        return Paragraph(f"<i>{escape(empty)}</i>", styles["BodyText"])
    cell = ParagraphStyle("cell", parent=styles["BodyText"], fontName="Helvetica", fontSize=7.5, leading=9)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")
    idx = [section.columns.index(c) for c, _ in columns]
    texts = [[fmt(r[i]) for i in idx] for r in section.rows]
    widths = _column_widths([label for _, label in columns], texts)
    data = [[Paragraph(escape(label), head) for _, label in columns]]
    data += [[Paragraph(escape(t), cell) for t in row] for row in texts]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6ecf2")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b8c2cc")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def build_monthly_report(month: date, out: Path, url: str, timezone: str) -> Path:
    """Write the PDF for the month starting `month` and return its path; times in `timezone`."""
    first_day = month
    styles = getSampleStyleSheet()
    h1, h2, body = styles["Title"], styles["Heading2"], styles["BodyText"]
    with db.connect(url, timezone=timezone) as conn:
        require_marts(conn, "marts.fct_allowance_deduction_monthly", "marts.fct_attendance_daily")
        n_rows = db.scalar(
            conn, "select count(*) from marts.fct_allowance_deduction_monthly where month = %s", (first_day,)
        )
        if not n_rows:
            raise UserError(
                f"tidak ada data untuk bulan {iso_month(month)} di marts.fct_allowance_deduction_monthly"
            )
        cards = _Cards(conn, {"bulan": first_day, "tahun": first_day.year})
        locked = db.is_month_locked(conn, first_day)
        lock_table = db.relation_exists(conn, "ops.month_lock")
        headline = conn.execute(
            """select count(*), max(workdays), sum(days_hadir), sum(days_tk), sum(days_leave),
                      sum(base_amount), sum(deduction_amount), sum(net_amount)
               from marts.fct_allowance_deduction_monthly where month = %s""",
            (first_day,),
        ).fetchone()
        from dashboards.export import fetch_adjustments  # one reading of the adjustment mart

        adjustments = fetch_adjustments(conn, first_day)
        attendance = cards.scalar("peringkat_disiplin_opd/kehadiran_kabupaten")
        punctuality = cards.scalar("peringkat_disiplin_opd/tepat_waktu_kabupaten")
        ranking = cards.run("peringkat_disiplin_opd/tabel_peringkat_opd")
        best = _query(conn, MOST_DISCIPLINED_SQL, (first_day, TOP_N))
        worst = _query(conn, MOST_ABSENT_SQL, (first_day, TOP_N))
        sanctions = sanctions_as_of(conn, first_day)
        devices = cards.run("kesehatan_mesin/status_mesin")
        quarantine = cards.run("kesehatan_mesin/jumlah_karantina")
        quality, quality_failures = quality_status(conn, first_day)

    label = month_label(first_day)
    if locked:
        status = "TERKUNCI: bulan ini sudah ditutup; angka potongan final dan dipakai untuk pembayaran."
    elif lock_table:
        status = "DRAF: bulan ini belum dikunci; angka masih dapat berubah sampai tutup buku bulanan."
    else:
        status = "DRAF: penguncian bulan belum tersedia di gudang; angka masih dapat berubah."
    story: list[Any] = [
        Paragraph(f"Laporan Disiplin Pegawai ASN<br/>{label}", h1),
        Paragraph(f"<b>Status data:</b> {status}", body),
        Paragraph(f"<b>Mutu data:</b> {quality}", body),
        *[Paragraph(f"&bull; {escape(f)}", body) for f in quality_failures],
        Spacer(1, 0.3 * cm),
        Paragraph("Ringkasan", h2),
    ]
    assert headline is not None  # an aggregate without group by returns one row
    count, workdays, hadir, tk, leave, base, deduction, net = headline
    figures = [
        ("Jumlah pegawai", fmt(count)),
        ("Hari kerja dalam bulan", fmt(workdays)),
        ("Tingkat kehadiran", f"{fmt(attendance)} %"),
        ("Tingkat ketepatan waktu", f"{fmt(punctuality)} %"),
        ("Jumlah hari hadir", fmt(hadir)),
        ("Jumlah hari tanpa keterangan (TK)", fmt(tk)),
        ("Jumlah hari cuti/sakit/izin/DL/TB", fmt(leave)),
        ("Total tunjangan pokok", f"Rp {fmt(base)}"),
        ("Total potongan", f"Rp {fmt(deduction)}"),
        ("Total tunjangan dibayar", f"Rp {fmt(net)}"),
        (
            f"Penyesuaian bulan terkunci sebelumnya ({len(adjustments)} baris)",
            f"Rp {fmt(sum(a.penyesuaian_potongan for a in adjustments))}",
        ),
        ("Total dibayar bulan ini", f"Rp {fmt(net - sum(a.penyesuaian_potongan for a in adjustments))}"),
    ]
    story.append(_table(Section(["k", "v"], figures), [("k", "Ukuran"), ("v", "Nilai")], ""))
    story += [Paragraph("Peringkat OPD", h2)]
    chart = _ranking_chart(ranking)
    if chart:
        story.append(chart)
    story.append(
        _table(
            ranking,
            [("peringkat", "No"), ("nama_opd", "OPD"), ("jumlah_pegawai", "Pegawai"),
             ("tingkat_kehadiran", "Hadir %"), ("tingkat_tepat_waktu", "Tepat waktu %"), ("hari_tk", "Hari TK")],
            "Tidak ada data peringkat OPD.",
        )
    )  # fmt: skip
    story += [Paragraph(f"{TOP_N} pegawai paling disiplin", h2)]
    story.append(
        _table(
            best,
            [("nip", "NIP"), ("nama", "Nama"), ("nama_opd", "OPD"), ("days_hadir", "Hadir"), ("days_tk", "TK"),
             ("days_on_time", "Tepat waktu"), ("days_late", "Terlambat"), ("days_early_leave", "Pulang cepat")],
            "Tidak ada data.",
        )
    )  # fmt: skip
    story += [Paragraph(f"{TOP_N} pegawai paling banyak tidak hadir tanpa keterangan", h2)]
    story.append(
        _table(
            worst,
            [("nip", "NIP"), ("nama", "Nama"), ("nama_opd", "OPD"), ("days_tk", "TK"), ("days_hadir", "Hadir"),
             ("days_late", "Terlambat"), ("days_early_leave", "Pulang cepat")],
            "Tidak ada pegawai dengan hari TK bulan ini.",
        )
    )  # fmt: skip
    story += [
        Paragraph(f"Tingkat hukuman disiplin PP 94/2021 (kumulatif TK Januari–{label})", h2),
        _table(
            sanctions,
            [("nip", "NIP"), ("nama", "Nama"), ("nama_opd", "OPD"), ("hari_tk_kumulatif", "TK kumulatif"),
             ("sanksi", "Tingkat hukuman")],
            "Belum ada pegawai yang mencapai tingkat hukuman disiplin.",
        ),
        Paragraph("Kesehatan mesin absensi", h2),
        _table(
            devices,
            [("device_sn", "Mesin"), ("nama_opd", "OPD"), ("terakhir_berhasil", "Terakhir berhasil dibaca"),
             ("selisih_jam_detik", "Selisih jam (detik)"), ("hari_senyap", "Hari senyap"), ("status", "Status")],
            "Tidak ada mesin terdaftar.",
        ),
        Spacer(1, 0.2 * cm),
        _table(quarantine, [("jenis_karantina", "Karantina"), ("jumlah", "Jumlah")], "Karantina kosong."),
    ]  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(
        str(out), pagesize=A4, title=f"Laporan Disiplin {label}", author="Gudang Data Absensi ASN",
        leftMargin=1.6 * cm, rightMargin=1.6 * cm, topMargin=1.5 * cm, bottomMargin=1.5 * cm,
    )  # fmt: skip
    doc.build(story)
    return out
