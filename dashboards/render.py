"""Offline dashboards: the same specs rendered to static HTML with PNG charts, straight from the
warehouse, no network and no Metabase (for a regency that does not run one)."""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")  # no display, no network: files only
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from dashboards.labels import SERIES_COLORS, label  # noqa: E402
from dashboards.marts import run_card  # noqa: E402
from dashboards.spec import Card, Dashboard, load_specs  # noqa: E402
from warehouse import db  # noqa: E402
from warehouse.errors import UserError  # noqa: E402
from warehouse.months import BULAN, iso_month, month_label, parse_month, zone_label  # noqa: E402
from warehouse.outputs import check_output_dir  # noqa: E402

MAX_TABLE_ROWS = 300


@dataclass
class CardResult:
    card: Card
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    error: str | None = None
    image: str | None = None  # file name relative to the dashboard page
    left_out: int = 0  # rows the chart does not draw (top/bottom of the spec)


def fmt(value: Any) -> str:
    """Indonesian number formatting: 1.234.567 and 12,5."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    if isinstance(value, Decimal | float):
        # two decimals at most, trailing zeros dropped: 1.097.400.150 / 96,4 / 86
        text = f"{float(value):,.2f}".rstrip("0").rstrip(".")
        return text.replace(",", "_").replace(".", ",").replace("_", ".")
    if isinstance(value, datetime):
        # instants (timestamptz) arrive in the regency's zone: the connection is set to it
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _number(value: Any) -> float:
    return float(value) if value is not None else 0.0


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def mathtext_safe(text: str) -> str:
    """Text for a matplotlib label: a `$` would start mathtext (an OPD named "Dinas $x^2$" would be
    typeset, and one like "$\\foo$" stops the whole rendering)."""
    return text.replace("$", r"\$")


def chart_rows(card: Card, rows: list[tuple]) -> tuple[list[tuple], int]:
    """The rows a chart draws: all, or the first `top` and the last `bottom` of the card's order; and
    how many rows were left out (the table under the chart keeps every row)."""
    top, bottom = card.top or 0, card.bottom or 0
    if not (top or bottom) or len(rows) <= top + bottom:
        return rows, 0
    return rows[:top] + (rows[-bottom:] if bottom else []), len(rows) - top - bottom


def draw_chart(card: Card, columns: list[str], rows: list[tuple], path: Path) -> int:
    """A PNG for bar/row/line/pie cards: the x column against each y column, sized to the rows drawn,
    axes and legend in human labels (the legend outside the plot, never over the bars). Returns the
    number of rows left out (see chart_rows)."""
    assert card.x is not None  # validated by the spec loader for chart displays
    drawn, left_out = chart_rows(card, rows)
    xi = columns.index(card.x)
    horizontal = card.display == "row"
    wrap = 38 if horizontal else 14  # long OPD/sanction names must not overlap
    labels = [mathtext_safe("\n".join(textwrap.wrap(fmt(r[xi]), wrap)) or "–") for r in drawn]
    series = {y: [_number(r[columns.index(y)]) for r in drawn] for y in card.y}
    n = len(series)
    lines = sum(label_text.count("\n") + 1 for label_text in labels)
    # one band per row, tall enough for its bars and its wrapped label: no blank bands
    height = 1.0 + max(0.13 * lines, 0.2 * len(drawn) * max(1, n * 0.75)) if horizontal else 3.6
    fig, ax = plt.subplots(figsize=(7.5, max(2.2, height)), dpi=110)
    if card.display == "pie":
        ax.pie(series[mathtext_safe(card.y[0])], labels=labels, autopct="%1.0f%%")
    elif card.display == "line":
        for name, values in series.items():
            ax.plot(labels, values, marker="o", label=label(name))
    else:
        width = 0.8 / n
        positions = list(range(len(drawn)))
        for k, (name, values) in enumerate(series.items()):
            offsets = [p + (k - (n - 1) / 2) * width for p in positions]
            color = SERIES_COLORS.get(name)  # None: the next colour of the cycle
            if horizontal:
                bars = ax.barh(offsets, values, height=width, label=label(name), color=color)
            else:
                bars = ax.bar(offsets, values, width=width, label=label(name), color=color)
            if len(drawn) <= 40:
                ax.bar_label(
                    bars, labels=[fmt(_value(v)) if v else "" for v in values], fontsize=6, padding=2
                )
        if horizontal:
            ax.set_yticks(positions, labels, fontsize=7)
            ax.set_ylim(len(drawn) - 0.5, -0.5)  # first row on top, no empty band above or below
            if n == 1:
                ax.set_xlabel(label(card.y[0]), fontsize=8)
            if card.top and card.bottom and left_out:
                ax.axhline(card.top - 0.5, color="#888888", linestyle="--", linewidth=0.8)
            ax.margins(x=0.12)  # room for the value labels
        else:
            ax.set_xticks(positions, labels, fontsize=7)
            ax.set_xlabel(label(card.x), fontsize=8)
            if n == 1:
                ax.set_ylabel(label(card.y[0]), fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        # the value axis in Indonesian numbers (2.000.000, not 2 × 1e6)
        value_axis = ax.xaxis if horizontal else ax.yaxis
        value_axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(_value(v))))
    if n > 1 or card.display == "line":
        # above the plot, outside it: never over the bars
        ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=n, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return left_out


def _value(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def _table_html(columns: list[str], rows: list[tuple], wanted: list[str]) -> str:
    idx = [columns.index(c) for c in wanted]
    head = "".join(f"<th>{html.escape(label(c))}</th>" for c in wanted)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(fmt(r[i]))}</td>" for i in idx) + "</tr>"
        for r in rows[:MAX_TABLE_ROWS]
    )
    more = (
        f"<p class='note'>{len(rows) - MAX_TABLE_ROWS} baris lagi tidak ditampilkan.</p>"
        if len(rows) > MAX_TABLE_ROWS
        else ""
    )
    empty = "<p class='note'>Tidak ada baris.</p>" if not rows else ""
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{more}{empty}"


def _card_html(result: CardResult) -> str:
    card = result.card
    lay = card.layout
    # columns from the spec; height from the content (a chart is as tall as its rows)
    style = f"grid-column:{lay.col + 1}/span {lay.width}"
    desc = f"<p class='desc'>{html.escape(card.description)}</p>" if card.description else ""
    if result.error:
        inner = f"<p class='error'>Data belum tersedia: {html.escape(result.error)}</p>"
    elif card.display == "scalar":
        value = result.rows[0][result.columns.index(str(card.value))] if result.rows else None
        inner = f"<div class='scalar'>{html.escape(fmt(value))}</div>"
    elif card.display == "table":
        inner = _table_html(result.columns, result.rows, list(card.columns))
    else:
        img = (
            f"<img src='{html.escape(result.image)}' alt='{html.escape(card.name)}'>" if result.image else ""
        )
        data = _table_html(result.columns, result.rows, card.visual_columns)
        note = ""
        if result.left_out:
            shown = len(result.rows) - result.left_out
            which = f"{card.top} teratas" + (f" dan {card.bottom} terbawah" if card.bottom else "")
            note = (
                f"<p class='note'>Grafik: {which} ({shown} dari {len(result.rows)} baris); "
                "semua baris di Data.</p>"
            )
        if not result.rows:
            img = "<p class='note'>Tidak ada baris.</p>"
        inner = img + note + f"<details><summary>Data ({len(result.rows)} baris)</summary>{data}</details>"
    return f"<section class='card' id='{card.key}' style='{style}'><h2>{html.escape(card.name)}</h2>{desc}{inner}</section>"


CSS = """
body{font-family:DejaVu Sans,Arial,sans-serif;margin:16px;background:#f4f6f8;color:#1c2733}
h1{font-size:22px;margin:4px 0}h2{font-size:14px;margin:0 0 6px}
.grid{display:grid;grid-template-columns:repeat(24,1fr);grid-auto-flow:row;gap:10px}
.card{background:#fff;border-radius:6px;padding:10px;box-shadow:0 1px 2px #0002;overflow:hidden}
.scroll{max-height:560px;overflow:auto}.period{font-size:15px;font-weight:bold;margin:6px 0}
.scalar{font-size:34px;font-weight:bold;color:#1f5fa8;margin-top:8px}
table{border-collapse:collapse;font-size:11px;width:100%}th,td{border-bottom:1px solid #e3e7eb;padding:3px 5px;text-align:left}
th{background:#eef2f6;position:sticky;top:0}img{max-width:100%}.desc,.note{font-size:11px;color:#5b6875}
.error{color:#a61b1b;font-size:12px}nav a{margin-right:14px}
"""


def _page(title: str, body: str, generated: str) -> str:
    return (
        f"<!doctype html><html lang='id'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body>{body}<p class='note'>Dibuat {html.escape(generated)} dari gudang data absensi "
        "(tampilan luring, tanpa Metabase).</p></body></html>"
    )


def render_dashboard(
    conn, dashboard: Dashboard, out_dir: Path, values: dict[str, Any] | None = None
) -> list[CardResult]:
    img_dir = out_dir / "img"
    img_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for card in sorted(dashboard.cards, key=lambda c: (c.layout.row, c.layout.col)):
        result = CardResult(card)
        try:
            result.columns, result.rows = run_card(conn, card, values or {})
        except Exception as exc:  # one missing mart must not hide the other cards
            conn.rollback()
            result.error = str(exc).splitlines()[0]
        if result.error is None and card.display not in ("table", "scalar") and result.rows:
            name = f"{dashboard.key}__{card.key}.png"
            result.left_out = draw_chart(card, result.columns, result.rows, img_dir / name)
            result.image = f"img/{name}"
        results.append(result)
    return results


def filter_values(*, month: str = "", day: str = "", opd: str = "") -> dict[str, Any]:
    """Dashboard filter values from command-line text (empty = the card's default)."""
    values: dict[str, Any] = {}
    if month:
        first = parse_month(month)
        values["bulan"], values["tahun"] = first, first.year
    if day:
        try:
            values["tanggal"] = date.fromisoformat(day)
        except ValueError as exc:
            raise UserError(f"tanggal '{day}' tidak valid: tulis sebagai YYYY-MM-DD") from exc
    if opd:
        values["opd"] = opd.strip()
    return values


HARI = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def day_text(day: date) -> str:
    """'Jumat, 30 Oktober 2026'."""
    return f"{HARI[day.weekday()]}, {day.day} {BULAN[day.month - 1]} {day.year}"


def _short_day(day: date) -> str:
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


OPD_SQL = """
select distinct on (opd_code) opd_code, nama_opd
from marts.mart_opd_discipline_monthly
order by opd_code, month desc
"""


@dataclass
class Chosen:
    """The filter values after checking them against the warehouse, and how each page names them."""

    values: dict[str, Any]
    opd_name: str = ""


def resolve_filters(conn, values: dict[str, Any]) -> Chosen:
    """Check the filter values against the warehouse: an OPD by code or by name (any case), a month,
    a date or a year that has data. An unknown value is refused with one Indonesian line (never a page
    of empty cards)."""
    values = dict(values)
    chosen = Chosen(values)
    opd = str(values.get("opd") or "").strip()
    if opd:
        opds = [(str(code), str(name or code)) for code, name in conn.execute(OPD_SQL).fetchall()]
        wanted = opd.casefold()
        match = [o for o in opds if wanted in (o[0].casefold(), o[1].casefold())]
        if not match:
            near = [o for o in opds if wanted in o[1].casefold() or wanted in o[0].casefold()][:5]
            hint = (
                "; mungkin: " + ", ".join(f"{name} ({code})" for code, name in near)
                if near
                else f"; ada {len(opds)} OPD, mis. " + ", ".join(f"{n} ({c})" for c, n in opds[:3])
            )
            raise UserError(f"OPD '{opd}' tidak dikenal (tulis kode atau nama OPD persis){hint}")
        values["opd"], chosen.opd_name = match[0]
    month = values.get("bulan")
    if month:
        months = [r[0] for r in conn.execute(
            "select distinct month from marts.mart_opd_discipline_monthly order by month"
        ).fetchall()]  # fmt: skip
        if month not in months:
            have = f"{month_label(months[0])} s.d. {month_label(months[-1])}" if months else "belum ada"
            raise UserError(f"tidak ada data untuk bulan {iso_month(month)}; data ada untuk {have}")
    day = values.get("tanggal")
    if day:
        found = conn.execute(
            "select min(work_date), max(work_date), bool_or(work_date = %s) from marts.fct_attendance_daily",
            (day,),
        ).fetchone()
        if not found[2]:
            have = f"{found[0]} s.d. {found[1]}" if found[0] else "belum ada"
            raise UserError(f"tanggal {day} bukan hari kerja yang ada datanya (data: {have})")
    return chosen


def _latest_workday(conn) -> date | None:
    return conn.execute(
        "select max(work_date) from marts.fct_attendance_daily where work_date <= current_date"
    ).fetchone()[0]


def period_text(conn, dashboard: Dashboard, values: dict[str, Any]) -> str:
    """What a page shows, named: the month and the workdays it covers, the date, or the year."""
    kinds = {f.kind for f in dashboard.filters}
    parts: list[str] = []
    try:
        if "month" in kinds:
            month = (
                values.get("bulan")
                or conn.execute("select max(month) from marts.mart_opd_discipline_monthly").fetchone()[0]
            )
            if month:
                first, last, days = conn.execute(
                    """select min(work_date), max(work_date), count(distinct work_date)
                       from marts.fct_attendance_daily
                       where work_date >= %s and work_date < (%s::date + interval '1 month')""",
                    (month, month),
                ).fetchone()
                covered = (
                    f": {days} hari kerja, {first.day} s.d. {_short_day(last)}"
                    if first
                    else ": belum ada hari kerja"
                )
                parts.append(f"Bulan {month_label(month)}{covered}")
        if "date" in kinds:
            latest = _latest_workday(conn)
            day = values.get("tanggal") or latest
            if day:
                parts.append(f"Tanggal terpilih: {day_text(day)}")
            if latest and day != latest:
                parts.append(f"kartu 'hari ini': {day_text(latest)} (hari kerja terakhir yang diolah)")
        if "year" in kinds:
            year, through = conn.execute(
                """select s.year, max(s.through_month) from marts.mart_discipline_sanction as s
                   where s.year = coalesce(%s, (select max(year) from marts.mart_discipline_sanction))
                   group by s.year""",
                (values.get("tahun"),),
            ).fetchone() or (values.get("tahun"), None)
            if year:
                upto = f" (TK dihitung sampai {month_label(through)})" if through else ""
                parts.append(f"Tahun {year}{upto}")
        if not parts:
            latest = _latest_workday(conn)
            if latest:
                parts.append(f"Keadaan terkini; data absensi sampai {day_text(latest)}")
    except Exception:  # a mart not built yet: the cards say so, the page still renders
        conn.rollback()
        return ""
    return "; ".join(parts)


def _filter_text(kind: str, value: Any, chosen: Chosen) -> str:
    if value in (None, ""):
        return {"opd": "semua OPD", "nip": "semua pegawai"}.get(kind, "terakhir yang ada datanya (di atas)")
    if kind == "month":
        return month_label(value)
    if kind == "date":
        return day_text(value)
    if kind == "opd":
        return f"{chosen.opd_name} ({value})" if chosen.opd_name else str(value)
    return str(value)


def generated_text(timezone: str, moment: datetime | None = None) -> str:
    """'2026-12-02 22:03 WIB': the render time in the regency's zone, with the zone's name."""
    moment = moment or datetime.now(ZoneInfo(timezone))
    return f"{moment.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M} {zone_label(timezone)}"


def render_all(out_dir: Path, url: str, timezone: str, values: dict[str, Any] | None = None) -> Path:
    """Every dashboard as `<key>.html` plus `index.html`; returns the index path. Times are shown
    in `timezone` (the regency's). Unknown filter values and an output folder that cannot be written
    are refused before anything is written."""
    out_dir = check_output_dir(out_dir)
    specs = load_specs()
    generated = generated_text(timezone)
    nav = "<nav>" + "".join(f"<a href='{d.key}.html'>{html.escape(d.name)}</a>" for d in specs) + "</nav>"
    summary = []
    with db.connect(url, timezone=timezone) as conn:
        chosen = resolve_filters(conn, values or {})
        out_dir.mkdir(parents=True, exist_ok=True)
        for d in specs:
            results = render_dashboard(conn, d, out_dir, chosen.values)
            cards = "".join(_card_html(r) for r in results)
            desc = f"<p class='desc'>{html.escape(d.description)}</p>" if d.description else ""
            period = period_text(conn, d, chosen.values)
            shown = ", ".join(
                f"{f.name}: {html.escape(_filter_text(f.kind, chosen.values.get(f.tag), chosen))}"
                for f in d.filters
            )
            head = f"<p class='period'>{html.escape(period)}</p>" if period else ""
            chosen_text = f"<p class='note'>Filter — {shown}</p>" if shown else ""
            body = (
                f"{nav}<h1>{html.escape(d.name)}</h1>{head}{desc}{chosen_text}<div class='grid'>{cards}</div>"
            )
            (out_dir / f"{d.key}.html").write_text(_page(d.name, body, generated), encoding="utf-8")
            errors = sum(r.error is not None for r in results)
            summary.append((d, len(results), errors, period))
    items = "".join(
        f"<li><a href='{d.key}.html'>{html.escape(d.name)}</a> — {n} kartu"
        + (f" — {html.escape(p)}" if p else "")
        + (f", <span class='error'>{e} belum tersedia</span>" if e else "")
        + "</li>"
        for d, n, e, p in summary
    )
    index = out_dir / "index.html"
    index.write_text(
        _page("Dasbor Absensi ASN", f"<h1>Dasbor Absensi ASN</h1><ul>{items}</ul>", generated),
        encoding="utf-8",
    )
    return index
