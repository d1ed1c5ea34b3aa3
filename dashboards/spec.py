"""Dashboard specs (YAML, one file per dashboard under dashboards/specs/): loading and validation.

A spec names its filters once; a card uses a filter by writing `{{tag}}` inside an optional clause
`[[ ... ]]` of its SQL, and the sync wires the dashboard filter to that template tag. Every tag sits in
an optional clause so each card also runs with no filter set (it then falls back to a sensible default,
e.g. the latest month with data)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dashboards.labels import LABELS, is_human, label
from dashboards.sqltemplate import required_tags, template_tags
from warehouse.errors import UserError

SPECS_DIR = Path(__file__).resolve().parent / "specs"
GRID_COLUMNS = 24

# filter kind -> (Metabase template-tag type, Metabase dashboard parameter type)
FILTER_KINDS: dict[str, tuple[str, str]] = {
    "month": ("date", "date/single"),
    "date": ("date", "date/single"),
    "opd": ("text", "string/="),
    "nip": ("text", "string/="),
    "year": ("number", "number/="),
}
DISPLAYS = {"table", "bar", "row", "line", "pie", "scalar"}
CHART_DISPLAYS = {"bar", "row", "line", "pie"}

_DASHBOARD_KEYS = {"key", "name", "description", "filters", "cards"}
_FILTER_KEYS = {"tag", "name", "kind"}
_CARD_KEYS = {
    "key", "name", "description", "display", "sql", "x", "y", "columns", "value", "layout", "top", "bottom",
}  # fmt: skip
_LAYOUT_KEYS = {"row", "col", "width", "height"}


@dataclass(frozen=True)
class Filter:
    tag: str
    name: str
    kind: str

    @property
    def tag_type(self) -> str:
        return FILTER_KINDS[self.kind][0]

    @property
    def parameter_type(self) -> str:
        return FILTER_KINDS[self.kind][1]


@dataclass(frozen=True)
class Layout:
    row: int
    col: int
    width: int
    height: int


@dataclass(frozen=True)
class Card:
    key: str
    name: str
    description: str
    display: str
    sql: str
    layout: Layout
    x: str | None = None
    y: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    value: str | None = None
    # a chart of many rows draws only the first `top` and the last `bottom` (the table shows them all)
    top: int | None = None
    bottom: int | None = None

    @property
    def tags(self) -> list[str]:
        return template_tags(self.sql)

    @property
    def visual_columns(self) -> list[str]:
        """The result columns the visualization names: the query must return each of them."""
        if self.display == "scalar":
            return [self.value] if self.value else []
        if self.display == "table":
            return list(self.columns)
        return [c for c in [self.x, *self.y] if c]

    def visualization_settings(self) -> dict[str, Any]:
        """Metabase settings; every shown column titled with its label (dashboards/labels.py)."""
        titles = {
            json.dumps(["name", c], separators=(",", ":")): {"column_title": label(c)}
            for c in self.visual_columns
        }
        if self.display == "scalar":
            return {"scalar.field": self.value, "column_settings": titles}
        if self.display == "table":
            return {
                "table.columns": [{"name": c, "enabled": True} for c in self.columns],
                "column_settings": titles,
            }
        if self.display == "pie":
            return {"pie.dimension": self.x, "pie.metric": self.y[0], "column_settings": titles}
        return {
            "graph.dimensions": [self.x],
            "graph.metrics": list(self.y),
            "graph.x_axis.title_text": label(str(self.x)),
            **({"graph.y_axis.title_text": label(self.y[0])} if len(self.y) == 1 else {}),
            "series_settings": {y: {"title": label(y)} for y in self.y},
            "column_settings": titles,
        }


@dataclass(frozen=True)
class Dashboard:
    key: str
    name: str
    description: str
    filters: tuple[Filter, ...]
    cards: tuple[Card, ...]
    source: Path = field(default=Path("."), compare=False)

    def filter(self, tag: str) -> Filter:
        return next(f for f in self.filters if f.tag == tag)


def _fail(source: Path, where: str, problem: str) -> UserError:
    return UserError(f"{source.name}: {where}: {problem}")


def _check_keys(source: Path, where: str, data: Any, allowed: set[str], required: set[str]) -> dict:
    if not isinstance(data, dict):
        raise _fail(source, where, "harus berupa mapping YAML")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _fail(source, where, f"kunci tidak dikenal: {', '.join(unknown)}")
    missing = sorted(required - set(data))
    if missing:
        raise _fail(source, where, f"kunci wajib tidak ada: {', '.join(missing)}")
    return data


def _parse_card(source: Path, raw: Any, filters: dict[str, Filter], index: int) -> Card:
    where = f"kartu #{index + 1}"
    data = _check_keys(source, where, raw, _CARD_KEYS, {"key", "name", "display", "sql", "layout"})
    where = f"kartu '{data['key']}'"
    display = data["display"]
    if display not in DISPLAYS:
        raise _fail(
            source, where, f"display '{display}' tidak dikenal (pilih: {', '.join(sorted(DISPLAYS))})"
        )
    layout_raw = _check_keys(source, f"{where} layout", data["layout"], _LAYOUT_KEYS, _LAYOUT_KEYS)
    if not all(isinstance(v, int) and v >= 0 for v in layout_raw.values()):
        raise _fail(source, f"{where} layout", "row/col/width/height harus bilangan bulat >= 0")
    layout = Layout(**layout_raw)
    if layout.width < 1 or layout.height < 1 or layout.col + layout.width > GRID_COLUMNS:
        raise _fail(source, f"{where} layout", f"kartu harus muat di grid {GRID_COLUMNS} kolom")
    sql = str(data["sql"]).strip()
    tags = template_tags(sql)
    unknown_tags = [t for t in tags if t not in filters]
    if unknown_tags:
        raise _fail(source, where, f"tag SQL tanpa filter dasbor: {', '.join(unknown_tags)}")
    bare = sorted(required_tags(sql))
    if bare:
        raise _fail(source, where, f"tag di luar klausa opsional [[ ]]: {', '.join(bare)}")
    y = data.get("y") or []
    card = Card(
        key=data["key"],
        name=data["name"],
        description=data.get("description", ""),
        display=display,
        sql=sql,
        layout=layout,
        x=data.get("x"),
        y=tuple([y] if isinstance(y, str) else y),
        columns=tuple(data.get("columns") or ()),
        value=data.get("value"),
        top=data.get("top"),
        bottom=data.get("bottom"),
    )
    for limit in ("top", "bottom"):
        if data.get(limit) is not None and not (isinstance(data[limit], int) and data[limit] > 0):
            raise _fail(source, where, f"'{limit}' harus bilangan bulat > 0")
    unlabelled = [c for c in card.visual_columns if c not in LABELS or not is_human(LABELS[c])]
    if unlabelled:
        raise _fail(source, where, f"kolom tanpa label di dashboards/labels.py: {', '.join(unlabelled)}")
    if display in CHART_DISPLAYS and (not card.x or not card.y):
        raise _fail(source, where, f"display '{display}' butuh 'x' dan 'y'")
    if display == "table" and not card.columns:
        raise _fail(source, where, "display 'table' butuh daftar 'columns'")
    if display == "scalar" and not card.value:
        raise _fail(source, where, "display 'scalar' butuh 'value'")
    return card


def _overlaps(a: Layout, b: Layout) -> bool:
    return not (
        a.col + a.width <= b.col
        or b.col + b.width <= a.col
        or a.row + a.height <= b.row
        or b.row + b.height <= a.row
    )


def parse_dashboard(source: Path, raw: Any) -> Dashboard:
    data = _check_keys(source, "dasbor", raw, _DASHBOARD_KEYS, {"key", "name", "cards"})
    filters: dict[str, Filter] = {}
    for i, f in enumerate(data.get("filters") or []):
        fd = _check_keys(source, f"filter #{i + 1}", f, _FILTER_KEYS, _FILTER_KEYS)
        if fd["kind"] not in FILTER_KINDS:
            raise _fail(source, f"filter '{fd['tag']}'", f"jenis '{fd['kind']}' tidak dikenal")
        if fd["tag"] in filters:
            raise _fail(source, f"filter '{fd['tag']}'", "tag dipakai dua kali")
        filters[fd["tag"]] = Filter(**fd)
    if not isinstance(data["cards"], list) or not data["cards"]:
        raise _fail(source, "cards", "minimal satu kartu")
    cards = [_parse_card(source, c, filters, i) for i, c in enumerate(data["cards"])]
    keys = [c.key for c in cards]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise _fail(source, "cards", f"kunci kartu ganda: {', '.join(dupes)}")
    names = [c.name for c in cards]
    if len(set(names)) != len(names):
        raise _fail(source, "cards", "nama kartu harus unik (sinkronisasi mencocokkan kartu menurut nama)")
    for i, a in enumerate(cards):
        for b in cards[i + 1 :]:
            if _overlaps(a.layout, b.layout):
                raise _fail(source, f"kartu '{a.key}'", f"bertumpuk dengan kartu '{b.key}' di grid")
    return Dashboard(
        key=data["key"],
        name=data["name"],
        description=data.get("description", ""),
        filters=tuple(filters.values()),
        cards=tuple(cards),
        source=source,
    )


def load_dashboard(path: Path) -> Dashboard:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UserError(f"{path.name}: YAML tidak valid: {str(exc).splitlines()[0]}") from exc
    return parse_dashboard(path, raw)


def load_specs(specs_dir: Path | None = None) -> list[Dashboard]:
    """Every dashboard spec, sorted by file name; card names unique across dashboards (one collection)."""
    specs_dir = specs_dir or SPECS_DIR
    dashboards = [load_dashboard(p) for p in sorted(specs_dir.glob("*.yml"))]
    if not dashboards:
        raise UserError(f"{specs_dir}: tidak ada spesifikasi dasbor (*.yml)")
    seen: dict[str, str] = {}
    for d in dashboards:
        for c in d.cards:
            if c.name in seen:
                raise UserError(f"{d.source.name}: kartu '{c.name}' juga ada di {seen[c.name]}")
            seen[c.name] = d.source.name
    if len({d.name for d in dashboards}) != len(dashboards):
        raise UserError(f"{specs_dir}: nama dasbor harus unik")
    return dashboards
