"""A local stand-in for the Metabase REST API (v0.50+), as strict as the contract the sync codes to.

It is a real HTTP server on 127.0.0.1 (ThreadingHTTPServer in a thread) that
- requires the `x-api-key` header (401 otherwise);
- validates every body: unknown fields and wrong shapes are rejected with 400 and the reason;
- checks references: a card's database exists, template tags match the `{{tags}}` in the SQL, a
  dashboard's dashcards reference existing cards, parameter mappings reference the dashboard's
  parameters and the card's template tags, the grid is 24 columns, and in `PUT /api/dashboard/:id`
  positive dashcard ids belong to that dashboard while negative ids create new dashcards;
- keeps state, and logs every request, so idempotency (no duplicates, no writes) is observable.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TAG_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
REDACTED = "**MetabasePass**"


class Invalid(Exception):
    pass


def _obj(body: Any, where: str, allowed: dict[str, Any], required: set[str]) -> dict:
    """allowed maps field -> python type(s) (or None for 'any JSON')."""
    if not isinstance(body, dict):
        raise Invalid(f"{where}: must be a JSON object")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise Invalid(f"{where}: unknown field(s) {unknown}")
    missing = sorted(required - set(body))
    if missing:
        raise Invalid(f"{where}: missing field(s) {missing}")
    for key, value in body.items():
        types = allowed[key]
        if types is not None and value is not None and not isinstance(value, types):
            raise Invalid(f"{where}.{key}: wrong type {type(value).__name__}")
        if isinstance(value, bool) and types in (int, (int,)):
            raise Invalid(f"{where}.{key}: wrong type bool")
    return body


DB_FIELDS = {
    "name": str,
    "engine": str,
    "details": dict,
    "is_full_sync": bool,
    "is_on_demand": bool,
    "auto_run_queries": bool,
    "cache_ttl": int,
    "schedules": dict,
    "refingerprint": bool,
}
DB_DETAILS = {
    "host": str,
    "port": int,
    "dbname": str,
    "user": str,
    "password": str,
    "ssl": bool,
    "schema-filters-type": str,
    "schema-filters-patterns": str,
    "tunnel-enabled": bool,
    "advanced-options": bool,
    "additional-options": str,
}
COLL_FIELDS = {"name": str, "description": str, "parent_id": int, "authority_level": str, "archived": bool}
CARD_FIELDS = {
    "name": str,
    "description": str,
    "type": str,
    "display": str,
    "collection_id": int,
    "visualization_settings": dict,
    "dataset_query": dict,
    "parameters": list,
    "parameter_mappings": list,
    "collection_position": int,
    "result_metadata": list,
    "cache_ttl": int,
    "archived": bool,
    "enable_embedding": bool,
}
DASH_FIELDS = {
    "name": str,
    "description": str,
    "collection_id": int,
    "parameters": list,
    "collection_position": int,
    "cache_ttl": int,
}
DASH_PUT_FIELDS = {
    **DASH_FIELDS,
    "dashcards": list,
    "tabs": list,
    "archived": bool,
    "width": str,
    "auto_apply_filters": bool,
    "enable_embedding": bool,
    "points_of_interest": str,
    "caveats": str,
    "position": int,
}
DASHCARD_FIELDS = {
    "id": int,
    "card_id": int,
    "row": int,
    "col": int,
    "size_x": int,
    "size_y": int,
    "parameter_mappings": list,
    "visualization_settings": dict,
    "series": list,
    "dashboard_tab_id": int,
    "action_id": int,
}
PARAM_FIELDS = {
    "id": str,
    "name": str,
    "slug": str,
    "type": str,
    "sectionId": str,
    "default": None,
    "required": bool,
    "values_source_type": str,
    "values_source_config": dict,
}
TAG_FIELDS = {
    "id": str,
    "name": str,
    "display-name": str,
    "type": str,
    "required": bool,
    "default": None,
    "dimension": list,
    "widget-type": str,
}
PARAM_TYPES = {
    "date/single",
    "date/range",
    "date/month-year",
    "date/quarter-year",
    "date/relative",
    "date/all-options",
    "string/=",
    "string/!=",
    "string/contains",
    "number/=",
    "number/between",
    "category",
    "id",
}
TAG_TYPES = {"text", "number", "date", "dimension", "snippet", "card", "temporal-unit"}
DISPLAYS = {
    "table",
    "bar",
    "row",
    "line",
    "area",
    "pie",
    "scalar",
    "combo",
    "progress",
    "gauge",
    "funnel",
    "map",
    "pivot",
    "smartscalar",
    "waterfall",
    "scatter",
    "object",
}


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next_id = {"database": 1, "collection": 1, "card": 1, "dashboard": 1, "dashcard": 1}
        self.databases: dict[int, dict] = {}
        self.collections: dict[int, dict] = {}
        self.cards: dict[int, dict] = {}
        self.dashboards: dict[int, dict] = {}
        self.requests: list[tuple[str, str]] = []

    def new_id(self, kind: str) -> int:
        value = self.next_id[kind]
        self.next_id[kind] += 1
        return value

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] != "GET"]


def validate_database(body: Any, *, partial: bool) -> dict:
    body = _obj(body, "database", DB_FIELDS, set() if partial else {"name", "engine", "details"})
    if "engine" in body and body["engine"] not in {"postgres", "h2", "mysql"}:
        raise Invalid(f"database.engine: unknown engine {body['engine']!r}")
    if "details" in body:
        _obj(body["details"], "database.details", DB_DETAILS, {"host", "port", "dbname", "user"})
    return body


def validate_template_tags(native: dict) -> None:
    _obj(native, "dataset_query.native", {"query": str, "template-tags": dict, "collection": str}, {"query"})
    tags = native.get("template-tags") or {}
    for name, tag in tags.items():
        _obj(tag, f"template-tags.{name}", TAG_FIELDS, {"id", "name", "display-name", "type"})
        if tag["name"] != name:
            raise Invalid(f"template-tags.{name}: name {tag['name']!r} differs from its key")
        if tag["type"] not in TAG_TYPES:
            raise Invalid(f"template-tags.{name}: unknown type {tag['type']!r}")
    used = set(TAG_RE.findall(native["query"]))
    if used != set(tags):
        raise Invalid(f"template-tags {sorted(tags)} do not match the query's tags {sorted(used)}")


class StandinHandler(BaseHTTPRequestHandler):
    server: StandinServer

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    # plumbing
    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        parsed = urlparse(self.path)
        state = self.server.state
        with state.lock:
            state.requests.append((method, parsed.path))
        if self.headers.get("x-api-key") != self.server.api_key:
            self._send(401, {"message": "Unauthenticated"})
            return
        body = None
        length = int(self.headers.get("content-length") or 0)
        if length:
            try:
                body = json.loads(self.rfile.read(length))
            except json.JSONDecodeError:
                self._send(400, {"message": "body is not JSON"})
                return
        try:
            with state.lock:
                status, payload = self.server.route(method, parsed.path, parse_qs(parsed.query), body)
        except Invalid as exc:
            status, payload = 400, {"errors": str(exc)}
        except KeyError as exc:
            status, payload = 404, {"message": f"Not found: {exc}"}
        self._send(status, payload)

    def do_GET(self) -> None:  # noqa: N802
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api_key: str) -> None:
        super().__init__(("127.0.0.1", 0), StandinHandler)
        self.api_key = api_key
        self.state = State()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> StandinServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    # routes
    def route(self, method: str, path: str, query: dict, body: Any) -> tuple[int, Any]:
        s = self.state
        parts = [p for p in path.split("/") if p]
        if parts[:1] != ["api"] or len(parts) < 2:
            raise KeyError(path)
        kind, rest = parts[1], parts[2:]
        ident = int(rest[0]) if rest and rest[0].isdigit() else None

        if kind == "database":
            if method == "GET" and not rest:
                return 200, {
                    "data": [self._public_db(d) for d in s.databases.values()],
                    "total": len(s.databases),
                }
            if method == "GET" and ident is not None:
                return 200, self._public_db(s.databases[ident])
            if method == "POST" and not rest:
                body = validate_database(body, partial=False)
                db = {**body, "id": s.new_id("database")}
                s.databases[db["id"]] = db
                return 200, self._public_db(db)
            if method == "PUT" and ident is not None:
                body = validate_database(body, partial=True)
                s.databases[ident].update(body)
                return 200, self._public_db(s.databases[ident])
        if kind == "collection":
            if method == "GET" and not rest:
                root = {"id": "root", "name": "Our analytics", "personal_owner_id": None}
                return 200, [root, *s.collections.values()]
            if method == "POST" and not rest:
                body = _obj(body, "collection", COLL_FIELDS, {"name"})
                coll = {
                    "description": None,
                    "parent_id": None,
                    "archived": False,
                    "personal_owner_id": None,
                    **body,
                    "id": s.new_id("collection"),
                }
                s.collections[coll["id"]] = coll
                return 200, coll
            if method == "PUT" and ident is not None:
                body = _obj(body, "collection", COLL_FIELDS, set())
                s.collections[ident].update(body)
                return 200, s.collections[ident]
            if method == "GET" and ident is not None and rest[1:] == ["items"]:
                if ident not in s.collections:
                    raise KeyError(f"collection {ident}")
                models = set(query.get("models", ["card", "dashboard"]))
                items = [
                    {"id": c["id"], "name": c["name"], "model": "card"}
                    for c in s.cards.values()
                    if c["collection_id"] == ident and not c["archived"] and "card" in models
                ]
                items += [
                    {"id": d["id"], "name": d["name"], "model": "dashboard"}
                    for d in s.dashboards.values()
                    if d["collection_id"] == ident and "dashboard" in models
                ]
                return 200, {"data": items, "total": len(items), "models": sorted(models)}
        if kind == "card":
            if method == "GET" and ident is not None:
                return 200, s.cards[ident]
            if method == "POST" and not rest:
                body = self._validate_card(body, partial=False)
                card = {
                    "description": None,
                    "archived": False,
                    "collection_id": None,
                    "type": "question",
                    **body,
                    "id": s.new_id("card"),
                }
                s.cards[card["id"]] = card
                return 200, card
            if method == "PUT" and ident is not None:
                if ident not in s.cards:
                    raise KeyError(f"card {ident}")
                body = self._validate_card(body, partial=True)
                s.cards[ident].update(body)
                return 200, s.cards[ident]
        if kind == "dashboard":
            if method == "GET" and ident is not None:
                return 200, s.dashboards[ident]
            if method == "POST" and not rest:
                body = _obj(body, "dashboard", DASH_FIELDS, {"name"})
                self._validate_params(body.get("parameters") or [])
                self._check_collection(body.get("collection_id"))
                dash = {
                    "description": None,
                    "collection_id": None,
                    "parameters": [],
                    **body,
                    "id": s.new_id("dashboard"),
                    "dashcards": [],
                    "tabs": [],
                }
                s.dashboards[dash["id"]] = dash
                return 200, dash
            if method == "PUT" and ident is not None:
                dash = s.dashboards[ident]
                body = _obj(body, "dashboard", DASH_PUT_FIELDS, set())
                params = body.get("parameters", dash["parameters"])
                self._validate_params(params)
                if "dashcards" in body:
                    body["dashcards"] = self._apply_dashcards(dash, body["dashcards"], params)
                dash.update(body)
                return 200, dash
        raise KeyError(f"{method} {path}")

    def _public_db(self, db: dict) -> dict:
        details = dict(db["details"])
        if "password" in details:
            details["password"] = REDACTED  # Metabase never returns secrets
        return {**db, "details": details, "features": ["native-parameters"]}

    def _check_collection(self, collection_id: Any) -> None:
        if collection_id is not None and collection_id not in self.state.collections:
            raise Invalid(f"collection {collection_id} does not exist")

    def _validate_card(self, body: Any, *, partial: bool) -> dict:
        required = set() if partial else {"name", "display", "visualization_settings", "dataset_query"}
        body = _obj(body, "card", CARD_FIELDS, required)
        if "display" in body and body["display"] not in DISPLAYS:
            raise Invalid(f"card.display: unknown display {body['display']!r}")
        if "type" in body and body["type"] not in {"question", "model", "metric"}:
            raise Invalid(f"card.type: unknown type {body['type']!r}")
        self._check_collection(body.get("collection_id"))
        if "dataset_query" in body:
            q = _obj(
                body["dataset_query"],
                "dataset_query",
                {"type": str, "database": int, "native": dict, "query": dict},
                {"type", "database"},
            )
            if q["database"] not in self.state.databases:
                raise Invalid(f"dataset_query.database {q['database']} does not exist")
            if q["type"] != "native" or "native" not in q:
                raise Invalid("dataset_query: only native queries are expected here")
            validate_template_tags(q["native"])
        return body

    def _validate_params(self, params: list) -> None:
        ids = set()
        for i, p in enumerate(params):
            _obj(p, f"parameters[{i}]", PARAM_FIELDS, {"id", "name", "slug", "type"})
            if p["type"] not in PARAM_TYPES:
                raise Invalid(f"parameters[{i}].type: unknown type {p['type']!r}")
            if p["id"] in ids:
                raise Invalid(f"parameters[{i}].id: duplicate {p['id']!r}")
            ids.add(p["id"])

    def _apply_dashcards(self, dash: dict, dashcards: list, params: list) -> list:
        s = self.state
        existing = {dc["id"] for dc in dash["dashcards"]}
        param_ids = {p["id"] for p in params}
        out, seen = [], set()
        for i, dc in enumerate(dashcards):
            where = f"dashcards[{i}]"
            _obj(dc, where, DASHCARD_FIELDS, {"id", "card_id", "row", "col", "size_x", "size_y"})
            if dc["card_id"] not in s.cards:
                raise Invalid(f"{where}.card_id {dc['card_id']} does not exist")
            if dc["id"] > 0 and dc["id"] not in existing:
                raise Invalid(f"{where}.id {dc['id']} is not a dashcard of dashboard {dash['id']}")
            if dc["id"] == 0 or dc["id"] in seen:
                raise Invalid(f"{where}.id {dc['id']} is zero or repeated")
            seen.add(dc["id"])
            if (
                dc["col"] < 0
                or dc["row"] < 0
                or dc["size_x"] < 1
                or dc["size_y"] < 1
                or dc["col"] + dc["size_x"] > 24
            ):
                raise Invalid(f"{where}: does not fit the 24-column grid")
            tags = s.cards[dc["card_id"]]["dataset_query"]["native"].get("template-tags") or {}
            for j, m in enumerate(dc.get("parameter_mappings") or []):
                mw = f"{where}.parameter_mappings[{j}]"
                _obj(
                    m,
                    mw,
                    {"parameter_id": str, "card_id": int, "target": list},
                    {"parameter_id", "card_id", "target"},
                )
                if m["parameter_id"] not in param_ids:
                    raise Invalid(f"{mw}.parameter_id {m['parameter_id']!r} is not a dashboard parameter")
                if m["card_id"] != dc["card_id"]:
                    raise Invalid(f"{mw}.card_id differs from the dashcard's card")
                target = m["target"]
                if not (
                    len(target) == 2
                    and target[0] in ("variable", "dimension")
                    and isinstance(target[1], list)
                    and len(target[1]) == 2
                    and target[1][0] == "template-tag"
                ):
                    raise Invalid(f"{mw}.target: expected ['variable', ['template-tag', name]]")
                if target[1][1] not in tags:
                    raise Invalid(f"{mw}.target: card has no template tag {target[1][1]!r}")
            new = {
                "parameter_mappings": [],
                "visualization_settings": {},
                "series": [],
                **dc,
                "dashboard_id": dash["id"],
            }
            if dc["id"] < 0:
                new["id"] = s.new_id("dashcard")
            out.append(new)
        return out
