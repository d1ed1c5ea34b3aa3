"""The monthly discipline report for the Bupati and Sekda: a PDF in Bahasa Indonesia.

Its figures come from the same card SQL as the dashboards (one definition of each number), run for
the chosen month; sections whose source is not built yet say so instead of failing the report. The
"Dinas shift" section (issue 14) counts the rostered shifts other than REG per shift type, on the day a
shift starts; a month without any says so in one line."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from reportlab.lib import colors  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet  # noqa: E402
from reportlab.lib.units import cm  # noqa: E402
from reportlab.pdfbase.pdfmetrics import stringWidth  # noqa: E402
from reportlab.pdfgen import canvas as pdfcanvas  # noqa: E402
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # noqa: E402

from dashboards.marts import require_marts, run_card  # noqa: E402
from dashboards.render import fmt, mathtext_safe  # noqa: E402
from dashboards.spec import load_specs  # noqa: E402
from warehouse import db  # noqa: E402
from warehouse.errors import UserError  # noqa: E402
from warehouse.months import iso_month, month_label, next_month, previous_month, zone_label  # noqa: E402
from warehouse.outputs import check_output_file  # noqa: E402

TOP_N = 10
CHART_N = 10  # the chart shows the best and the worst CHART_N OPDs; the table lists every OPD

# Regency-wide, ranked like the mart's rank inside an OPD: fewest TK days, most on-time days, fewest
# late / early-leave days. Equal figures share a rank (shown as a tie), listed by name: never by the
# NIP string, which would put 16-digit honorer NIKs first.
MOST_DISCIPLINED_SQL = """
with ranked as (
    select e.nip, e.nama, o.nama_opd, e.days_hadir, e.days_tk, e.days_on_time, e.days_late, e.days_early_leave,
           rank() over (order by e.days_tk, e.days_on_time desc, e.days_late + e.days_early_leave)::integer
               as peringkat
    from marts.mart_employee_discipline_monthly as e
    left join marts.mart_opd_discipline_monthly as o on o.opd_code = e.opd_code and o.month = e.month
    where e.month = %s
)
select * from ranked where peringkat <= %s order by peringkat, nama, nip
"""
MOST_ABSENT_SQL = """
with ranked as (
    select e.nip, e.nama, o.nama_opd, e.days_tk, e.days_hadir, e.days_late, e.days_early_leave,
           rank() over (order by e.days_tk desc, e.days_hadir)::integer as peringkat
    from marts.mart_employee_discipline_monthly as e
    left join marts.mart_opd_discipline_monthly as o on o.opd_code = e.opd_code and o.month = e.month
    where e.month = %s and e.days_tk > 0
)
select * from ranked where peringkat <= %s order by peringkat, nama, nip
"""

# Machine health as it was for the month reported (not today's state): reads that counted and failed
# during the month, the last read before its end and the first after it (the one that proves the
# month's last day was collected), and the month's workdays on which the machine recorded nothing.
DEVICES_AS_OF_SQL = """
with bounds as (
    select %(first)s::date::timestamp::timestamptz as start_at, %(next)s::date::timestamp::timestamptz as end_at
),
reads as (
    select b.device_sn,
           count(*) filter (where b.is_counted and b.started_at >= bounds.start_at and b.started_at < bounds.end_at)
               ::integer as baca_berhasil,
           count(*) filter (where b.state = 'failed' and b.started_at >= bounds.start_at
                            and b.started_at < bounds.end_at)::integer as baca_gagal,
           max(b.started_at) filter (where b.is_counted and b.started_at < bounds.end_at) as terakhir_dibaca,
           min(b.started_at) filter (where b.is_counted and b.started_at >= bounds.end_at) as dibaca_setelahnya
    from marts.mart_ingest_batch as b cross join bounds
    where b.kind in ('pull', 'usb', 'push')
    group by b.device_sn
),
workdays as (
    select distinct work_date from marts.fct_attendance_daily
    where work_date >= %(first)s and work_date < %(next)s
),
punch_days as (
    select p.device_sn, count(distinct p.punch_date)::integer as days
    from staging.stg_raw__device_punches as p
    join workdays on workdays.work_date = p.punch_date
    group by p.device_sn
),
opd as (
    select distinct on (opd_code) opd_code, nama_opd from marts.mart_opd_discipline_monthly
    where month <= %(first)s order by opd_code, month desc
)
select h.device_sn, coalesce(opd.nama_opd, h.opd_code) as nama_opd,
       coalesce(reads.baca_berhasil, 0) as baca_berhasil, coalesce(reads.baca_gagal, 0) as baca_gagal,
       reads.terakhir_dibaca, reads.dibaca_setelahnya,
       (select count(*) from workdays)::integer - coalesce(punch_days.days, 0) as hari_tanpa_catatan,
       case
           when reads.terakhir_dibaca is null and reads.dibaca_setelahnya is null then 'TIDAK PERNAH TERBACA'
           when reads.dibaca_setelahnya is null then 'BELUM TERBACA SETELAH AKHIR BULAN'
           when (select count(*) from workdays) - coalesce(punch_days.days, 0) >= 2 then 'ADA HARI TANPA CATATAN'
           when coalesce(reads.baca_gagal, 0) > 0 then 'ADA PEMBACAAN GAGAL'
           else 'BAIK'
       end as keadaan
from marts.mart_device_health as h
left join reads on reads.device_sn = h.device_sn
left join punch_days on punch_days.device_sn = h.device_sn
left join opd on opd.opd_code = h.opd_code
where h.is_active or reads.baca_berhasil > 0
order by (reads.dibaca_setelahnya is null) desc, hari_tanpa_catatan desc, h.device_sn
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
    select distinct on (nip) nip, nama, jenis_pegawai from marts.mart_employee_discipline_monthly
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
-- only the employee types PP 94/2021 covers (seed sanction_coverage), as in mart_discipline_sanction
join names as covered_names on covered_names.nip = tk.nip
join staging.sanction_coverage as c on c.jenis_pegawai = covered_names.jenis_pegawai and c.covered
left join names on names.nip = tk.nip
left join opd on opd.opd_code = tk.opd_code
where l.level > 0
order by l.level desc, tk.tk_days desc, tk.nip
"""

# Issue 14: the month's rostered shifts (every shift but the regular office day REG), per shift type.
# work_date is the day a shift starts; "pulang esok hari" counts the days whose check-out fell on a
# later calendar day (a night shift). Terlambat as in the discipline marts: HADIR with a TL tier.
SHIFTS_SQL = """
select d.shift_code as kode_shift,
       coalesce(s.nama || ' ' || left(s.masuk::text, 5) || '–' || left(s.pulang::text, 5), d.shift_code)
           as nama_shift,
       count(distinct d.nip)::integer as jumlah_pegawai,
       count(*)::integer as hari_dinas,
       (count(*) filter (where d.status = 'HADIR'))::integer as hadir,
       (count(*) filter (where d.status = 'TK'))::integer as tk,
       (count(*) filter (where d.status = 'HADIR' and d.tl_tier > 0))::integer as terlambat,
       (count(*) filter (where d.last_out::date > d.work_date))::integer as pulang_esok_hari
from marts.fct_attendance_daily as d
left join staging.shift_types as s on s.shift_code = d.shift_code
where d.work_date >= %(first)s and d.work_date < %(next)s and d.shift_code <> 'REG'
group by d.shift_code, s.nama, s.masuk, s.pulang
order by s.masuk nulls last, d.shift_code
"""
SHIFT_COLUMNS = [
    ("kode_shift", "Kode"), ("nama_shift", "Shift"), ("jumlah_pegawai", "Jumlah pegawai"),
    ("hari_dinas", "Hari dinas"), ("hadir", "Hadir"), ("tk", "TK"), ("terlambat", "Terlambat"),
    ("pulang_esok_hari", "Pulang esok hari"),
]  # fmt: skip
NO_SHIFTS = "Tidak ada dinas shift bulan ini: semua hari kerja adalah hari kerja reguler."


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
    verdict = "LULUS (layak terbit)" if publishable else "BLOKIR (tidak layak terbit)"
    line = (
        f"{verdict}; {fmt(total)} pemeriksaan, {fmt(blocking)} gagal kritis, {fmt(warning)} peringatan "
        f"(pemeriksaan {fmt(finished)})"
    )
    return line, failed


def _chart_rows(section: Section) -> tuple[list[tuple], int]:
    """The rows the chart shows: every OPD when few, else the best and the worst CHART_N (ranked
    order) with the number left out between them."""
    # an OPD without a final day to rate (issue 13) has no bar: the table lists it as incomplete
    rate = section.columns.index("tingkat_kehadiran") if "tingkat_kehadiran" in section.columns else None
    rows = [r for r in section.rows if rate is None or r[rate] is not None]
    if len(rows) <= 2 * CHART_N:
        return list(rows), 0
    return list(rows[:CHART_N]) + list(rows[-CHART_N:]), len(rows) - 2 * CHART_N


def _ranking_chart(section: Section) -> Image | None:
    if section.error or not section.rows:
        return None
    cols = section.columns
    rows, skipped = _chart_rows(section)
    names = [f"{r[cols.index('peringkat')]}. {mathtext_safe(str(r[cols.index('nama_opd')]))}" for r in rows]
    att = [float(r[cols.index("tingkat_kehadiran")] or 0) for r in rows]
    punct = [float(r[cols.index("tingkat_tepat_waktu")] or 0) for r in rows]
    # one band per OPD, plus a gap row where the middle of the ranking is left out
    positions = [float(i) for i in range(len(rows))]
    if skipped:
        positions = [p + (1.0 if i >= CHART_N else 0.0) for i, p in enumerate(positions)]
    height = 0.27 * (len(rows) + (1 if skipped else 0)) + 1.3
    fig, ax = plt.subplots(figsize=(7.0, height), dpi=120)
    ax.barh([p - 0.2 for p in positions], att, height=0.4, label="Kehadiran (%)", color="#1f5fa8")
    ax.barh([p + 0.2 for p in positions], punct, height=0.4, label="Tepat waktu (%)", color="#f0a030")
    ax.set_yticks(positions, names, fontsize=7)
    if skipped:
        ax.axhline(CHART_N + 0.0, color="#999999", linewidth=0.6, linestyle=":")
        ax.text(50, CHART_N, f"… {skipped} OPD lain (lihat tabel) …", ha="center", va="center", fontsize=7,
                color="#555555", backgroundcolor="white")  # fmt: skip
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("%", fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    # the legend above the plot, never over the bars
    ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
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
        estimate = (max([longest_word] + [len(t[k]) for t in texts]) + 1) * per_char + pad
        # capitals are wider than the per-character estimate ("MALAM" would break as "MALA/M"): never
        # narrower than the measured text plus the cell's padding (6 pt each side)
        measured = max(
            [stringWidth(w, "Helvetica-Bold", 7.5) for w in label.split()]
            + [stringWidth(t[k], "Helvetica", 7.5) for t in texts]
        )
        natural.append(max(estimate, measured + 13))
    if sum(natural) <= CONTENT_WIDTH:
        return natural
    # up to 3.6 cm keeps its width: an 18-digit NIP never wraps
    fixed = [w if w <= 3.6 * cm else 0.0 for w in natural]
    flexible = [w if w > 3.6 * cm else 0.0 for w in natural]
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


def _ranked(section: Section, limit: int) -> tuple[Section, str | None]:
    """The first `limit` rows of a ranked section with ties marked ("1 (seri)"), and a sentence when
    more rows share the last rank shown than fit."""
    if section.error or not section.rows:
        return section, None
    k = section.columns.index("peringkat")
    counts: dict[Any, int] = {}
    for row in section.rows:
        counts[row[k]] = counts.get(row[k], 0) + 1
    shown = section.rows[:limit]
    rows = [
        tuple(f"{v} (seri)" if i == k and counts[v] > 1 else v for i, v in enumerate(row)) for row in shown
    ]
    note = None
    if len(section.rows) > limit:
        last = shown[-1][k]
        more = sum(1 for row in section.rows[limit:] if row[k] == last)
        note = f"{fmt(more)} pegawai lain juga berperingkat {last} (nilai sama) dan tidak ditampilkan."
    return Section(section.columns, rows), note


def _headlines(
    ranking: Section, attendance: Any, previous: Any, previous_label: str, tk_people: int, deduction: Any
) -> list[str]:
    """The sentences a reader needs first: the regency's attendance against last month, the best and
    the worst OPD, how many people have TK days and what was deducted."""
    lines = []
    if attendance is not None:
        if previous is None:
            change = f"belum ada data {previous_label} untuk pembanding"
        else:
            delta = float(attendance) - float(previous)
            if abs(delta) < 0.05:
                change = f"sama dengan {previous_label}"
            else:
                arah = "naik" if delta > 0 else "turun"
                change = f"{arah} {fmt(round(abs(delta), 1))} poin dari {previous_label} ({fmt(previous)} %)"
        lines.append(f"Tingkat kehadiran kabupaten {fmt(attendance)} %, {change}.")
    cols = ranking.columns
    # only OPDs with final days are rated (issue 13): one whose machine was silent is not "the worst"
    rated = (
        [r for r in ranking.rows if r[cols.index("tingkat_kehadiran")] is not None]
        if not ranking.error
        else []
    )
    if rated:
        best, worst = rated[0], rated[-1]

        def describe(row: tuple) -> str:
            return (
                f"{row[cols.index('nama_opd')]} (hadir {fmt(row[cols.index('tingkat_kehadiran')])} %, "
                f"tepat waktu {fmt(row[cols.index('tingkat_tepat_waktu')])} %)"
            )

        if len(rated) > 1:
            lines.append(f"OPD paling disiplin: {describe(best)}; paling rendah: {describe(worst)}.")
        else:
            lines.append(f"Satu OPD: {describe(best)}.")
    lines.append(
        f"{fmt(tk_people)} pegawai memiliki hari tanpa keterangan (TK); total potongan Rp {fmt(deduction)}."
    )
    return lines


def _completeness(conn: Any, month: date) -> list[str]:
    """How much of the month is known (issue 13): the first line states it, the next ones name each
    OPD still incomplete (marked, not ranked as undisciplined: its rates are over final days only)."""
    row = conn.execute(
        """select coalesce(sum(workdays), 0), coalesce(sum(days_menunggu), 0), count(*) filter (where days_menunggu > 0)
             from marts.fct_allowance_deduction_monthly where month = %s""",
        (month,),
    ).fetchone()
    assert row is not None  # an aggregate without group by returns one row
    workdays, waiting, people = (int(v) for v in row)
    if not waiting:
        return ["lengkap — semua hari kerja pegawai bulan ini sudah final."]
    share = 100 * (workdays - waiting) / workdays if workdays else 0
    lines = [
        f"BELUM LENGKAP — {fmt(round(share, 1))} % hari kerja pegawai final; {fmt(waiting)} hari kerja dari "
        f"{fmt(people)} pegawai masih MENUNGGU (hari belum selesai atau data mesin belum terbaca). Hari MENUNGGU "
        "tidak dihitung sebagai TK, tanpa potongan, dan tidak masuk peringkat; OPD di bawah ditandai, bukan "
        "dinilai tidak disiplin."
    ]
    for name, completeness, days in conn.execute(
        """select nama_opd, data_completeness, days_menunggu from marts.mart_opd_discipline_monthly
            where month = %s and not is_complete order by data_completeness, nama_opd""",
        (month,),
    ).fetchall():
        lines.append(
            f"{name}: data {fmt(round(float(completeness) * 100, 1))} % lengkap ({fmt(days)} hari MENUNGGU)"
        )
    return lines


def _device_problems(devices: Section) -> tuple[Section, str]:
    """The machines whose month is not complete, listed, and one sentence for the rest."""
    if devices.error or not devices.rows:
        return (
            devices,
            "Data kesehatan mesin belum tersedia." if devices.error else "Tidak ada mesin terdaftar.",
        )
    k = devices.columns.index("keadaan")
    problems = [r for r in devices.rows if r[k] != "BAIK"]
    complete = len(devices.rows) - len(problems)
    summary = (
        f"{fmt(complete)} dari {fmt(len(devices.rows))} mesin baik (tercatat pada hari kerja, tidak ada "
        "pembacaan gagal, terbaca sesudah akhir bulan)"
        + (f"; {fmt(len(problems))} mesin perlu perhatian:" if problems else ".")
    )
    return Section(devices.columns, problems), summary


def _page_canvas(header: str, footer: str, draft: bool) -> type[pdfcanvas.Canvas]:
    """A canvas that writes the header, "Halaman i dari n", the generation time and, on a draft, a
    DRAF watermark on every page (pages are kept until the end so the total is known)."""

    class PageCanvas(pdfcanvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # reportlab internal, no stub

        def save(self) -> None:
            total = len(self._saved_pages)
            for number, state in enumerate(self._saved_pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            width, height = A4
            self.saveState()
            if draft:
                self.setFillColor(colors.HexColor("#c0392b"))
                self.setFillAlpha(0.13)
                self.setFont("Helvetica-Bold", 110)
                self.translate(width / 2, height / 2)
                self.rotate(45)
                self.drawCentredString(0, -40, "DRAF")
                self.rotate(-45)
                self.translate(-width / 2, -height / 2)
                self.setFillAlpha(1)
            self.setFillColor(colors.HexColor("#555555"))
            self.setFont("Helvetica", 7.5)
            self.drawString(1.6 * cm, height - 1.0 * cm, header)
            self.drawString(1.6 * cm, 0.9 * cm, footer)
            self.drawRightString(width - 1.6 * cm, 0.9 * cm, f"Halaman {number} dari {total}")
            self.restoreState()

    return PageCanvas


def build_monthly_report(
    month: date,
    out: Path,
    url: str,
    timezone: str,
    *,
    regency_name: str = "",
    generated_at: datetime | None = None,
) -> Path:
    """Write the PDF for the month starting `month` and return its path; times in `timezone`.
    `regency_name` heads every page; `generated_at` (default now) is printed in the regency's zone."""
    first_day = month
    check_output_file(out, example=f"laporan-{iso_month(month)}.pdf")
    styles = getSampleStyleSheet()
    h1, h2, body = styles["Title"], styles["Heading2"], styles["BodyText"]
    prev = previous_month(first_day)
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
                      sum(base_amount), sum(deduction_amount), sum(net_amount),
                      count(*) filter (where days_tk > 0),
                      sum(discipline_deduction),
                      sum(base_amount - discipline_amount - performance_amount),
                      sum(sanction_deduction),
                      count(*) filter (where not is_complete and days_menunggu = 0)
               from marts.fct_allowance_deduction_monthly where month = %s""",
            (first_day,),
        ).fetchone()
        from dashboards.export import fetch_adjustments  # one reading of the adjustment mart

        adjustments = fetch_adjustments(conn, first_day)
        attendance = cards.scalar("peringkat_disiplin_opd/kehadiran_kabupaten")
        punctuality = cards.scalar("peringkat_disiplin_opd/tepat_waktu_kabupaten")
        ranking = cards.run("peringkat_disiplin_opd/tabel_peringkat_opd")
        has_previous = db.scalar(
            conn, "select count(*) from marts.mart_opd_discipline_monthly where month = %s", (prev,)
        )
        previous_attendance = (
            _Cards(conn, {"bulan": prev, "tahun": prev.year}).scalar(
                "peringkat_disiplin_opd/kehadiran_kabupaten"
            )
            if has_previous
            else None
        )
        best, best_note = _ranked(_query(conn, MOST_DISCIPLINED_SQL, (first_day, TOP_N)), TOP_N)
        worst, worst_note = _ranked(_query(conn, MOST_ABSENT_SQL, (first_day, TOP_N)), TOP_N)
        sanctions = sanctions_as_of(conn, first_day)
        devices = _query(conn, DEVICES_AS_OF_SQL, {"first": first_day, "next": next_month(first_day)})
        quarantine = cards.run("kesehatan_mesin/jumlah_karantina")
        shifts = _query(conn, SHIFTS_SQL, {"first": first_day, "next": next_month(first_day)})
        # corrections and permits (issue 15): the dashboard's own cards, for the month reported
        has_koreksi = db.relation_exists(conn, "marts.mart_correction_log")
        koreksi = cards.run("koreksi_izin/koreksi_per_opd") if has_koreksi else Section([], [])
        approvers = cards.run("koreksi_izin/penyetuju_teratas") if has_koreksi else Section([], [])
        quality, quality_failures = quality_status(conn, first_day)
        completeness = _completeness(conn, first_day)

    label = month_label(first_day)
    draft = not locked
    device_problems, devices_summary = _device_problems(devices)
    if locked:
        status = "FINAL: bulan ini sudah dikunci; angka potongan final dan dipakai untuk pembayaran."
    elif lock_table:
        status = "DRAF: bulan ini belum dikunci; angka masih dapat berubah sampai tutup buku bulanan."
    else:
        status = "DRAF: penguncian bulan belum tersedia di gudang; angka masih dapat berubah."
    moment = (generated_at or datetime.now(UTC)).astimezone(ZoneInfo(timezone))
    generated = f"{moment:%d-%m-%Y %H:%M} {zone_label(timezone)}"
    regency = regency_name or "Pemerintah Daerah"
    assert headline is not None  # an aggregate without group by returns one row
    count, workdays, hadir, tk, leave, base, deduction, net, tk_people, *parts = headline
    discipline_cut, unpaid_performance, sanction_cut, unscored = parts
    story: list[Any] = [
        Paragraph(f"{escape(regency)}<br/>Laporan Disiplin Pegawai ASN<br/>{label}", h1),
        Paragraph(f"<b>Status data:</b> {status}", body),
        Paragraph(f"<b>Mutu data:</b> {escape(quality)}", body),
        *[Paragraph(f"&bull; {escape(f)}", body) for f in quality_failures],
        *[
            Paragraph(
                f"<b>Kelengkapan data:</b> {escape(line)}" if i == 0 else f"&bull; {escape(line)}", body
            )
            for i, line in enumerate(completeness)
        ],
        Paragraph(f"<b>Dibuat:</b> {generated}", body),
        Spacer(1, 0.3 * cm),
        Paragraph("Pokok-pokok", h2),
        *[
            Paragraph(f"&bull; {escape(line)}", body)
            for line in _headlines(
                ranking, attendance, previous_attendance, month_label(prev), tk_people, deduction
            )
        ],
        Paragraph("Ringkasan", h2),
    ]
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
        # issue 20: the parts, when a policy splits the allowance or a sanction cuts it (today's
        # whole-allowance policies without sanctions show the total only, as before)
        *(
            [
                ("  dari kehadiran (bagian disiplin)", f"Rp {fmt(discipline_cut)}"),
                ("  bagian kinerja tidak dibayar (nilai e-kinerja)", f"Rp {fmt(unpaid_performance)}"),
                ("  dari sanksi disiplin (PP 94/2021)", f"Rp {fmt(sanction_cut)}"),
                ("  pegawai tanpa nilai e-kinerja (bagian kinerja belum dibayar)", fmt(unscored)),
            ]
            if (unpaid_performance or 0) > 0 or (sanction_cut or 0) > 0 or unscored
            else []
        ),
        ("Total tunjangan dibayar", f"Rp {fmt(net)}"),
        (
            f"Penyesuaian bulan terkunci sebelumnya ({len(adjustments)} baris)",
            f"Rp {fmt(sum(a.penyesuaian_potongan for a in adjustments))}",
        ),
        ("Total dibayar bulan ini", f"Rp {fmt(net - sum(a.penyesuaian_potongan for a in adjustments))}"),
    ]
    story.append(_table(Section(["k", "v"], figures), [("k", "Ukuran"), ("v", "Nilai")], ""))
    chart = _ranking_chart(ranking)
    if not chart:
        story.append(Paragraph("Peringkat OPD", h2))
    else:
        caption: list[Any] = [Paragraph("Peringkat OPD", h2)]
        if len(ranking.rows) > 2 * CHART_N:
            caption.append(Paragraph(
                f"Grafik: {CHART_N} OPD teratas dan {CHART_N} terbawah dari {len(ranking.rows)} OPD; "
                "tabel di bawahnya memuat semua OPD.", body,
            ))  # fmt: skip
        story.append(KeepTogether([*caption, chart]))
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
            [("peringkat", "No"), ("nip", "NIP"), ("nama", "Nama"), ("nama_opd", "OPD"), ("days_hadir", "Hadir"),
             ("days_tk", "TK"), ("days_on_time", "Tepat waktu"), ("days_late", "Terlambat"),
             ("days_early_leave", "Pulang cepat")],
            "Tidak ada data.",
        )
    )  # fmt: skip
    if best_note:
        story.append(Paragraph(f"<i>{escape(best_note)}</i>", body))
    story += [Paragraph(f"{TOP_N} pegawai paling banyak tidak hadir tanpa keterangan", h2)]
    story.append(
        _table(
            worst,
            [("peringkat", "No"), ("nip", "NIP"), ("nama", "Nama"), ("nama_opd", "OPD"), ("days_tk", "TK"),
             ("days_hadir", "Hadir"), ("days_late", "Terlambat"), ("days_early_leave", "Pulang cepat")],
            "Tidak ada pegawai dengan hari TK bulan ini.",
        )
    )  # fmt: skip
    if worst_note:
        story.append(Paragraph(f"<i>{escape(worst_note)}</i>", body))
    # issue 14: one line when the month has no rostered shift, else what the figures mean and the table
    story.append(Paragraph(f"Dinas shift {label}", h2))
    if shifts.rows:
        story.append(Paragraph(
            "Hari kerja menurut jadwal dinas (roster), selain hari kerja reguler. Hari dinas dihitung pada "
            "tanggal shift dimulai; pulang esok hari: absen pulang jatuh pada tanggal berikutnya (dinas malam).",
            body,
        ))  # fmt: skip
    story.append(_table(shifts, SHIFT_COLUMNS, NO_SHIFTS))
    story += [
        Paragraph(f"Tingkat hukuman disiplin PP 94/2021 (kumulatif TK Januari–{label})", h2),
        _table(
            sanctions,
            [("nip", "NIP"), ("nama", "Nama"), ("nama_opd", "OPD"), ("hari_tk_kumulatif", "TK kumulatif"),
             ("sanksi", "Tingkat hukuman")],
            "Belum ada pegawai yang mencapai tingkat hukuman disiplin.",
        ),
        Paragraph(f"Koreksi dan izin (moderasi) {label}", h2),
        Paragraph(
            "Koreksi diajukan OPD dan diputuskan BKPSDM; hanya yang DISETUJUI mengubah hari, data mesin tidak "
            "pernah diubah. Rincian per pegawai dan hari: dasbor Koreksi dan Izin (marts.mart_correction_log).",
            body,
        ),
        _table(
            koreksi,
            [("nama_opd", "OPD"), ("jenis", "Jenis"), ("disetujui", "Disetujui"), ("ditolak", "Ditolak"),
             ("diajukan", "Diajukan"), ("selisih_potongan_rp", "Selisih potongan (Rp)")],
            "Tidak ada koreksi untuk bulan ini.",
        ),
        Spacer(1, 0.2 * cm),
        _table(
            approvers,
            [("penyetuju", "Penyetuju"), ("jumlah_disetujui", "Koreksi disetujui")],
            "Tidak ada koreksi yang disetujui bulan ini.",
        ),
        Paragraph(f"Kesehatan mesin absensi selama {label}", h2),
        Paragraph(escape(devices_summary), body),
        _table(
            device_problems,
            [("device_sn", "Mesin"), ("nama_opd", "OPD"), ("baca_berhasil", "Baca berhasil"),
             ("baca_gagal", "Baca gagal"), ("terakhir_dibaca", "Terakhir dibaca dalam bulan"),
             ("dibaca_setelahnya", "Pertama dibaca sesudah bulan"), ("hari_tanpa_catatan", "Hari kerja tanpa catatan"),
             ("keadaan", "Keadaan")],
            "Semua mesin baik untuk bulan ini.",
        ),
        Spacer(1, 0.2 * cm),
        _table(quarantine, [("jenis_karantina", "Karantina"), ("jumlah", "Jumlah")], "Karantina kosong."),
    ]  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(
        str(out), pagesize=A4, title=f"Laporan Disiplin {label}", author="Gudang Data Absensi ASN",
        leftMargin=1.6 * cm, rightMargin=1.6 * cm, topMargin=1.5 * cm, bottomMargin=1.5 * cm,
    )  # fmt: skip
    header = f"{regency} · Laporan Disiplin Pegawai ASN {label} · {'DRAF' if draft else 'FINAL'}"
    footer = f"Dibuat {generated} dari gudang data absensi"
    doc.build(story, canvasmaker=_page_canvas(header, footer, draft))
    return out
