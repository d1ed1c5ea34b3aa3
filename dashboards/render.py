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

import matplotlib

matplotlib.use("Agg")  # no display, no network: files only
import matplotlib.pyplot as plt  # noqa: E402

from dashboards.marts import run_card  # noqa: E402
from dashboards.spec import Card, Dashboard, load_specs  # noqa: E402
from warehouse import db  # noqa: E402
from warehouse.errors import UserError  # noqa: E402
from warehouse.months import parse_month  # noqa: E402
from warehouse.outputs import check_output_dir  # noqa: E402

MAX_TABLE_ROWS = 300
ROW_HEIGHT_PX = 46


@dataclass
class CardResult:
    card: Card
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    error: str | None = None
    image: str | None = None  # file name relative to the dashboard page


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


def draw_chart(card: Card, columns: list[str], rows: list[tuple], path: Path) -> None:
    """A PNG for bar/row/line/pie cards: the x column against each y column."""
    assert card.x is not None  # validated by the spec loader for chart displays
    xi = columns.index(card.x)
    wrap = 34 if card.display == "row" else 14  # long OPD/sanction names must not overlap
    labels = [mathtext_safe("\n".join(textwrap.wrap(fmt(r[xi]), wrap)) or "–") for r in rows]
    series = {mathtext_safe(y): [_number(r[columns.index(y)]) for r in rows] for y in card.y}
    height = max(3.0, 0.42 * len(rows) + 1.2) if card.display == "row" else 3.8
    fig, ax = plt.subplots(figsize=(7.5, height), dpi=110)
    if card.display == "pie":
        ax.pie(series[mathtext_safe(card.y[0])], labels=labels, autopct="%1.0f%%")
    elif card.display == "line":
        for name, values in series.items():
            ax.plot(labels, values, marker="o", label=name)
    else:
        n = len(series)
        width = 0.8 / n
        positions = list(range(len(rows)))
        for k, (name, values) in enumerate(series.items()):
            offsets = [p + (k - (n - 1) / 2) * width for p in positions]
            if card.display == "row":
                ax.barh(offsets, values, height=width, label=name)
            else:
                ax.bar(offsets, values, width=width, label=name)
        if card.display == "row":
            ax.set_yticks(positions, labels, fontsize=7)
            ax.invert_yaxis()
        else:
            ax.set_xticks(positions, labels, fontsize=7)
    if len(series) > 1 or card.display == "line":
        ax.legend(fontsize=7)
    ax.set_title(mathtext_safe(card.name), fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _table_html(columns: list[str], rows: list[tuple], wanted: list[str]) -> str:
    idx = [columns.index(c) for c in wanted]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in wanted)
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
    style = f"grid-column:{lay.col + 1}/span {lay.width};grid-row:{lay.row + 1}/span {lay.height}"
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
        inner = img + f"<details><summary>Data</summary>{data}</details>"
    return f"<section class='card' id='{card.key}' style='{style}'><h2>{html.escape(card.name)}</h2>{desc}{inner}</section>"


CSS = """
body{font-family:DejaVu Sans,Arial,sans-serif;margin:16px;background:#f4f6f8;color:#1c2733}
h1{font-size:22px;margin:4px 0}h2{font-size:14px;margin:0 0 6px}
.grid{display:grid;grid-template-columns:repeat(24,1fr);grid-auto-rows:ROWPX;gap:10px}
.card{background:#fff;border-radius:6px;padding:10px;box-shadow:0 1px 2px #0002;overflow:auto}
.scalar{font-size:34px;font-weight:bold;color:#1f5fa8;margin-top:8px}
table{border-collapse:collapse;font-size:11px;width:100%}th,td{border-bottom:1px solid #e3e7eb;padding:3px 5px;text-align:left}
th{background:#eef2f6;position:sticky;top:0}img{max-width:100%}.desc,.note{font-size:11px;color:#5b6875}
.error{color:#a61b1b;font-size:12px}nav a{margin-right:14px}
""".replace("ROWPX", f"{ROW_HEIGHT_PX}px")


def _page(title: str, body: str, generated: str) -> str:
    return (
        f"<!doctype html><html lang='id'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body>{body}<p class='note'>Dibuat {generated} dari gudang data absensi "
        "(tampilan luring, tanpa Metabase).</p></body></html>"
    )


def render_dashboard(
    conn, dashboard: Dashboard, out_dir: Path, values: dict[str, Any] | None = None
) -> list[CardResult]:
    img_dir = out_dir / "img"
    img_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for card in dashboard.cards:
        result = CardResult(card)
        try:
            result.columns, result.rows = run_card(conn, card, values or {})
        except Exception as exc:  # one missing mart must not hide the other cards
            conn.rollback()
            result.error = str(exc).splitlines()[0]
        if result.error is None and card.display not in ("table", "scalar") and result.rows:
            name = f"{dashboard.key}__{card.key}.png"
            draw_chart(card, result.columns, result.rows, img_dir / name)
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


_DEFAULT_FILTER_TEXT = {
    "month": "bulan terakhir",
    "date": "hari kerja terakhir",
    "year": "tahun terakhir",
    "opd": "semua OPD",
    "nip": "semua pegawai",
}


def _filter_text(kind: str, value: Any) -> str:
    if value in (None, ""):
        return _DEFAULT_FILTER_TEXT[kind]
    if kind == "month":
        return value.strftime("%Y-%m")
    return str(value)


def render_all(out_dir: Path, url: str, timezone: str, values: dict[str, Any] | None = None) -> Path:
    """Every dashboard as `<key>.html` plus `index.html`; returns the index path. Times are shown
    in `timezone` (the regency's)."""
    out_dir = check_output_dir(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = load_specs()
    generated = datetime.now().strftime("%Y-%m-%d %H:%M")
    nav = "<nav>" + "".join(f"<a href='{d.key}.html'>{html.escape(d.name)}</a>" for d in specs) + "</nav>"
    summary = []
    with db.connect(url, timezone=timezone) as conn:
        for d in specs:
            results = render_dashboard(conn, d, out_dir, values)
            cards = "".join(_card_html(r) for r in results)
            desc = f"<p class='desc'>{html.escape(d.description)}</p>" if d.description else ""
            shown = ", ".join(
                f"{f.name}: {html.escape(_filter_text(f.kind, (values or {}).get(f.tag)))}" for f in d.filters
            )
            chosen = f"<p class='note'>Filter — {shown}</p>" if shown else ""
            body = f"{nav}<h1>{html.escape(d.name)}</h1>{desc}{chosen}<div class='grid'>{cards}</div>"
            (out_dir / f"{d.key}.html").write_text(_page(d.name, body, generated), encoding="utf-8")
            errors = sum(r.error is not None for r in results)
            summary.append((d, len(results), errors))
    items = "".join(
        f"<li><a href='{d.key}.html'>{html.escape(d.name)}</a> — {n} kartu"
        + (f", <span class='error'>{e} belum tersedia</span>" if e else "")
        + "</li>"
        for d, n, e in summary
    )
    index = out_dir / "index.html"
    index.write_text(
        _page("Dasbor Absensi ASN", f"<h1>Dasbor Absensi ASN</h1><ul>{items}</ul>", generated),
        encoding="utf-8",
    )
    return index
