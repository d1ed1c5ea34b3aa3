"""A local stand-in for the Metabase REST API of the current release (0.57 and later), as faithful
as the sync needs it to be. Where each behaviour comes from:

- Bodies are open schemas, as Metabase's `defendpoint` malli `[:map ...]` schemas are: known keys
  are type-checked (400 with `{"errors": {key: msg}, "specific-errors": {key: [msg]}}`), unknown keys
  are dropped, not refused (recorded in `state.stripped` so tests can see it).
- `POST /api/database` and `PUT /api/database/:id` are superuser-only and test the connection first
  (src/metabase/warehouses_rest/api.clj: `api/check-superuser`, `test-connection-details`); the test
  here is a real PostgreSQL connection with the given details, and a failure answers 400 with the
  body Metabase builds: the postgres driver's `humanize-connection-error-message` regexes and the
  messages of metabase.driver.util/connection-error-messages, e.g.
  `{"message": "Looks like your Password is incorrect.", "errors": {"password": "check your password"}}`.
- A key outside the Administrators group gets 403 "You don't have permissions to do that."
  (metabase.api.common/generic-403) on the admin-only endpoints (database writes, sync_schema, the
  data model: metadata, PUT /api/table/:id, PUT /api/field/:id).
- Creating a database, and `POST /api/database/:id/sync_schema`, sync the tables and columns of the
  schemas in `schema-filters-patterns` from the real warehouse; Metabase syncs in the background,
  so `sync_delay` metadata reads after a sync still show the state before it.
- `GET /api/database/:id/metadata` answers in the shape of a real response (gouline/dbt-metabase
  tests/fixtures/mbql5/api/database/2/metadata.json): tables with `fields`, `display_name`
  humanized from the name, `semantic_type` null until someone sets it.
- Cards are stored in MBQL 5; `GET /api/card/:id` answers MBQL 5
  (`{"lib/type": "mbql/query", "stages": [{"lib/type": "mbql.stage/native", "native": sql,
  "template-tags": {...}}], "database": n}`, as in dbt-metabase's tests/fixtures/mbql5/api/card/29.json:
  no "template-tags" key when a card has none, "lib.convert/converted?" when it was written in MBQL 4)
  unless `?legacy-mbql=true` (api-changelog, Metabase 0.57.0). `mbql="legacy"` plays 0.56 and
  before (MBQL 4 always), `mbql="mbql5-only"` a release that has dropped the legacy parameter.
  Writes accept both shapes, as Metabase does.
- `GET /api/collection` lists the root first, then collections with `location` ("/" at the top,
  "/3/" inside collection 3) and `personal_owner_id`; `exclude-other-user-collections=true` drops
  other people's personal collections and everything inside them (collections_rest/api.clj).
- References are checked: a card's database exists, template tags match the `{{tags}}` in the SQL,
  dashcards reference existing cards and the dashboard's parameters, the grid is 24 columns, positive
  dashcard ids belong to the dashboard and negative ids create new dashcards.
- State is kept, and every request logged, so idempotency (no duplicates, no writes) is observable.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TAG_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
REDACTED = "**MetabasePass**"  # metabase.secrets.core/protected-password
FORBIDDEN = "You don't have permissions to do that."
API_KEY_USER_ID = 99  # the user Metabase creates for an API key

# metabase.driver.util/connection-error-messages (English, as the API answers by default)
CONNECTION_ERRORS = {
    "cannot-connect-check-host-and-port": {
        "message": "Hmm, we couldn't connect to the database. Make sure your Host and Port settings are correct",
        "errors": {"host": "check your host settings", "port": "check your port settings"},
    },
    "database-name-incorrect": {
        "message": "Looks like the Database name is incorrect.",
        "errors": {"dbname": "check your database name settings"},
    },
    "password-incorrect": {
        "message": "Looks like your Password is incorrect.",
        "errors": {"password": "check your password"},
    },
    "username-incorrect": {
        "message": "Looks like your Username is incorrect.",
        "errors": {"user": "check your username"},
    },
}
# the postgres driver's humanize-connection-error-message
POSTGRES_ERRORS = [
    (re.compile(r'^FATAL: database ".*" does not exist$'), "database-name-incorrect"),
    (re.compile(r"^Connection refused.*$"), "cannot-connect-check-host-and-port"),
    (re.compile(r'^FATAL: role ".*" does not exist$'), "username-incorrect"),
    (re.compile(r"^FATAL: password authentication failed for user.*$"), "password-incorrect"),
]

SEMANTIC_TYPES = {
    "type/PK",
    "type/FK",
    "type/Name",
    "type/Title",
    "type/Description",
    "type/Comment",
    "type/Category",
    "type/Enum",
    "type/Quantity",
    "type/Score",
    "type/Share",
    "type/Percentage",
    "type/Currency",
    "type/Income",
    "type/Cost",
    "type/Price",
    "type/Discount",
    "type/CreationDate",
    "type/CreationTimestamp",
    "type/JoinDate",
    "type/City",
    "type/State",
    "type/Country",
    "type/Email",
    "type/URL",
}
BASE_TYPES = {
    "text": "type/Text",
    "character varying": "type/Text",
    "integer": "type/Integer",
    "bigint": "type/BigInteger",
    "smallint": "type/Integer",
    "numeric": "type/Decimal",
    "double precision": "type/Float",
    "date": "type/Date",
    "timestamp without time zone": "type/DateTime",
    "timestamp with time zone": "type/DateTimeWithLocalTZ",
    "time without time zone": "type/Time",
    "boolean": "type/Boolean",
}


class Invalid(Exception):
    """A body that does not fit the endpoint's schema: 400 in Metabase's validation shape."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key, self.message = key, message

    def body(self) -> dict:
        return {"errors": {self.key: self.message}, "specific-errors": {self.key: [self.message]}}


class Forbidden(Exception):
    pass


class Answer(Exception):
    """A non-200 answer with a body an endpoint builds itself (e.g. a failed connection test)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status, self.body = status, body


def humanize(name: str) -> str:
    """Metabase's default ("simple") humanization of a table or column name."""
    return " ".join(part.capitalize() for part in re.split(r"[_\s]+", name) if part)


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next_id: dict[str, int] = {}
        self.databases: dict[int, dict] = {}
        self.collections: dict[int, dict] = {}
        self.cards: dict[int, dict] = {}
        self.dashboards: dict[int, dict] = {}
        self.tables: dict[int, dict] = {}  # with their "fields" (dicts, by id in self.fields too)
        self.fields: dict[int, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.stripped: list[tuple[str, str]] = []  # (where, key) of unknown keys Metabase ignored
        self.pending_sync: dict[int, int] = {}  # database id -> metadata reads still showing old state

    def new_id(self, kind: str) -> int:
        self.next_id[kind] = self.next_id.get(kind, 0) + 1
        return self.next_id[kind]

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] != "GET"]


def _open(body: Any, where: str, allowed: dict[str, Any], required: set[str] = frozenset()) -> dict:
    """Check the known keys of `body` (field -> python type(s), None for any JSON), drop the rest."""
    if not isinstance(body, dict):
        raise Invalid(where, "value must be a map.")
    missing = sorted(required - set(body))
    if missing:
        raise Invalid(missing[0], "missing required key")
    out = {}
    for key, value in body.items():
        if key not in allowed:
            STRIPPED.append((where, key))
            continue
        types = allowed[key]
        if value is not None and types is not None:
            wrong = not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types))
            if wrong:
                raise Invalid(key, f"should be {_name(types)}, received: {json.dumps(value)[:60]}")
        out[key] = value
    return out


STRIPPED: list[tuple[str, str]] = []  # rebound per request to the server's State.stripped


def _tuple(types: Any) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def _name(types: Any) -> str:
    return " or ".join(t.__name__ for t in _tuple(types))


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
    "description": str,
    "caveats": str,
    "points_of_interest": str,
    "settings": dict,
}
COLL_FIELDS = {
    "name": str,
    "description": str,
    "parent_id": int,
    "authority_level": str,
    "archived": bool,
    "namespace": str,
}
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
TABLE_FIELDS = {
    "display_name": str,
    "description": str,
    "caveats": str,
    "points_of_interest": str,
    "visibility_type": str,
    "entity_type": str,
    "field_order": str,
    "show_in_getting_started": bool,
}
FIELD_FIELDS = {
    "display_name": str,
    "description": str,
    "semantic_type": str,
    "visibility_type": str,
    "fk_target_field_id": int,
    "has_field_values": str,
    "settings": dict,
    "coercion_strategy": str,
    "caveats": str,
    "points_of_interest": str,
    "json_unfolding": bool,
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
TAG_TYPES = {"text", "number", "date", "dimension", "snippet", "card", "temporal-unit", "boolean"}
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


def validate_template_tags(sql: str, tags: Any) -> dict:
    tags = tags or {}
    if not isinstance(tags, dict):
        raise Invalid("template-tags", "value must be a map.")
    for name, tag in tags.items():
        tag = _open(tag, f"template-tags.{name}", TAG_FIELDS, {"name", "display-name", "type"})
        if tag["name"] != name:
            raise Invalid("template-tags", "keys in template tag map must match the :name of their values")
        if tag["type"] not in TAG_TYPES:
            raise Invalid("template-tags", f"unknown type {tag['type']!r}")
    used = set(TAG_RE.findall(sql))
    if used != set(tags):
        raise Invalid("template-tags", f"{sorted(tags)} do not match the query's tags {sorted(used)}")
    return tags


def to_mbql5(query: dict) -> dict:
    """A native dataset_query in MBQL 5, converted from MBQL 4 when it comes in that shape."""
    if query.get("lib/type") == "mbql/query":
        q = _open(query, "dataset_query", {"lib/type": str, "database": int, "stages": list}, {"stages"})
        if len(q["stages"]) != 1 or not isinstance(q["stages"][0], dict):
            raise Invalid("dataset_query", "only one native stage is expected here")
        stage = q["stages"][0]
        if stage.get("lib/type") != "mbql.stage/native" or not isinstance(stage.get("native"), str):
            raise Invalid("dataset_query", "only native queries are expected here")
        tags = validate_template_tags(stage["native"], stage.get("template-tags"))
        return {
            "lib/type": "mbql/query",
            "database": q.get("database"),
            "stages": [{"lib/type": "mbql.stage/native", "native": stage["native"], "template-tags": tags}],
        }
    q = _open(query, "dataset_query", {"type": str, "database": int, "native": dict, "query": dict}, {"type"})
    if q["type"] != "native" or "native" not in q:
        raise Invalid("dataset_query", "only native queries are expected here")
    native = _open(q["native"], "dataset_query.native", {"query": str, "template-tags": dict}, {"query"})
    tags = validate_template_tags(native["query"], native.get("template-tags"))
    return {
        "lib/type": "mbql/query",
        "database": q.get("database"),
        "stages": [{"lib/type": "mbql.stage/native", "native": native["query"], "template-tags": tags}],
        "lib.convert/converted?": True,
    }


def as_answered(query: dict) -> dict:
    """A stored MBQL 5 query as GET /api/card/:id answers it: a native stage without template tags
    carries no "template-tags" key at all (dbt-metabase tests/fixtures/mbql5/api/card/29.json-32.json,
    real 0.57+ answers), so a reader must not take a missing key for a change."""
    stages = []
    for stage in query["stages"]:
        stage = dict(stage)
        if not stage.get("template-tags"):
            stage.pop("template-tags", None)
        stages.append(stage)
    return {**query, "stages": stages}


def to_legacy(query: dict) -> dict:
    stage = query["stages"][0]
    return {
        "database": query["database"],
        "type": "native",
        "native": {"query": stage["native"], "template-tags": stage.get("template-tags") or {}},
    }


class StandinHandler(BaseHTTPRequestHandler):
    server: StandinServer

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, payload: Any) -> None:
        if isinstance(payload, str):
            data, kind = payload.encode(), "text/plain"
        else:
            data, kind = json.dumps(payload).encode(), "application/json"
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        global STRIPPED
        parsed = urlparse(self.path)
        state = self.server.state
        with state.lock:
            state.requests.append((method, parsed.path))
        key = self.headers.get("x-api-key")
        if key not in self.server.keys:
            self._send(401, "Unauthenticated")
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
                STRIPPED = state.stripped
                status, payload = self.server.route(
                    method, parsed.path, parse_qs(parsed.query), body, admin=self.server.keys[key]
                )
        except Invalid as exc:
            status, payload = 400, exc.body()
        except Forbidden:
            status, payload = 403, FORBIDDEN
        except Answer as exc:
            status, payload = exc.status, exc.body
        except KeyError as exc:
            status, payload = 404, f"Not found. ({exc})"
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

    def __init__(
        self,
        api_key: str,
        *,
        non_admin_keys: tuple[str, ...] = (),
        mbql: str = "mbql5",
        sync_delay: int = 0,
    ) -> None:
        super().__init__(("127.0.0.1", 0), StandinHandler)
        assert mbql in ("mbql5", "mbql5-only", "legacy")
        self.keys = {api_key: True, **dict.fromkeys(non_admin_keys, False)}
        self.mbql = mbql
        self.sync_delay = sync_delay
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

    # state helpers for tests: what other people did in this Metabase
    def add_collection(
        self,
        name: str,
        *,
        parent_id: int | None = None,
        personal_owner_id: int | None = None,
        type: str | None = None,  # noqa: A002  (Metabase's key: "instance-analytics", "trash", ...)
    ) -> dict:
        with self.state.lock:
            coll = self._new_collection({"name": name, "parent_id": parent_id}, personal_owner_id)
            coll["type"] = type
            return coll

    # routes
    def route(self, method: str, path: str, query: dict, body: Any, *, admin: bool) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if parts[:1] != ["api"] or len(parts) < 2:
            raise KeyError(path)
        kind, rest = parts[1], parts[2:]
        ident = int(rest[0]) if rest and rest[0].isdigit() else None
        handler = getattr(self, f"_{kind}", None)
        if handler is None:
            raise KeyError(path)
        return handler(method, rest, ident, query, body, admin)

    # /api/database
    def _database(self, method, rest, ident, query, body, admin):
        s = self.state
        if method == "GET" and not rest:
            dbs = [self._public_db(d, admin) for d in s.databases.values()]
            return 200, {"data": dbs, "total": len(dbs)}
        if method == "GET" and ident is not None and rest[1:] == []:
            return 200, self._public_db(s.databases[ident], admin)
        if not admin:
            raise Forbidden()
        if method == "POST" and not rest:
            body = _open(body, "database", DB_FIELDS, {"name", "engine", "details"})
            if body["engine"] != "postgres":
                raise Invalid("engine", "value must be a valid database engine.")
            self._test_connection(body["details"], status=400)
            db = {
                "description": None,
                "is_full_sync": True,
                "is_on_demand": False,
                "auto_run_queries": True,
                **body,
                "id": s.new_id("database"),
                "initial_sync_status": "complete",
            }
            s.databases[db["id"]] = db
            self._sync(db)
            return 200, self._public_db(db, admin)
        if method == "PUT" and ident is not None and not rest[1:]:
            db = s.databases[ident]
            body = _open(body, "database", DB_FIELDS)
            if "details" in body:
                details = {
                    k: (db["details"].get(k) if v == REDACTED else v) for k, v in body["details"].items()
                }
                if details != db["details"]:
                    self._test_connection(details, status=400)
                body["details"] = details
            db.update({k: v for k, v in body.items() if v is not None})
            return 200, self._public_db(db, admin)
        if method == "POST" and ident is not None and rest[1:] == ["sync_schema"]:
            db = s.databases[ident]
            self._test_connection(db["details"], status=422)
            self._sync(db)
            return 200, {"status": "ok"}
        if method == "GET" and ident is not None and rest[1:] == ["metadata"]:
            db = s.databases[ident]
            tables = [t for t in s.tables.values() if t["db_id"] == ident]
            if s.pending_sync.get(ident):
                s.pending_sync[ident] -= 1
                tables = [t for t in tables if not t.get("_new")]
            else:
                for t in tables:
                    t.pop("_new", None)
            public = [{k: v for k, v in t.items() if not k.startswith("_")} for t in tables]
            return 200, {**self._public_db(db, admin), "tables": public}
        raise KeyError(f"{method} /api/database/{'/'.join(rest)}")

    def _public_db(self, db: dict, admin: bool) -> dict:
        out = {**db, "features": ["native-parameters", "schemas"], "engine": db["engine"]}
        if admin:
            details = dict(db["details"])
            if "password" in details:
                details["password"] = REDACTED  # Metabase never returns secrets
            out["details"] = details
        else:
            out.pop("details", None)  # only those who may edit the database see its details
        return out

    def _test_connection(self, details: dict, *, status: int) -> None:
        """A real PostgreSQL connection with `details`; Metabase's answer when it fails."""
        import psycopg

        try:
            psycopg.connect(
                host=str(details.get("host") or ""),
                port=int(details.get("port") or 5432),
                dbname=str(details.get("dbname") or ""),
                user=str(details.get("user") or ""),
                password=str(details.get("password") or ""),
                connect_timeout=3,
            ).close()
        except psycopg.OperationalError as exc:
            text = str(exc)
            fatal = re.search(r"FATAL:\s+(.*)", text)
            message = f"FATAL: {fatal.group(1).strip()}" if fatal else text.strip().splitlines()[-1]
            if "Connection refused" in text or "No such file or directory" in text:
                message = "Connection refused. Check that the hostname and port are correct"
            for pattern, kind in POSTGRES_ERRORS:
                if pattern.match(message):
                    raise Answer(status, CONNECTION_ERRORS[kind]) from exc
            raise Answer(status, {"message": message}) from exc

    def _sync(self, db: dict) -> None:
        """Read the tables and columns of the filtered schemas, as Metabase's sync does (it keeps the
        metadata people edited on tables and fields it already knows)."""
        import psycopg

        d = db["details"]
        patterns = [p.strip() for p in str(d.get("schema-filters-patterns") or "").split(",") if p.strip()]
        with psycopg.connect(
            host=d["host"],
            port=int(d["port"]),
            dbname=d["dbname"],
            user=d["user"],
            password=d.get("password"),
        ) as conn:
            rows = conn.execute(
                """select c.table_schema, c.table_name, c.column_name, c.data_type, c.ordinal_position
                     from information_schema.columns c
                     join information_schema.tables t using (table_schema, table_name)
                    where c.table_schema = any(%s)
                    order by 1, 2, 5""",
                (patterns or ["public"],),
            ).fetchall()
        s = self.state
        known = {(t["schema"], t["name"]): t for t in s.tables.values() if t["db_id"] == db["id"]}
        for schema, table_name, column, data_type, position in rows:
            table = known.get((schema, table_name))
            if table is None:
                table = {
                    "id": s.new_id("table"),
                    "db_id": db["id"],
                    "schema": schema,
                    "name": table_name,
                    "display_name": humanize(table_name),
                    "description": None,
                    "entity_type": "entity/GenericTable",
                    "visibility_type": None,
                    "active": True,
                    "field_order": "database",
                    "points_of_interest": None,
                    "caveats": None,
                    "fields": [],
                    "_new": True,
                }
                s.tables[table["id"]] = table
                known[(schema, table_name)] = table
            if any(f["name"] == column for f in table["fields"]):
                continue
            base = BASE_TYPES.get(data_type, "type/*")
            field = {
                "id": s.new_id("field"),
                "table_id": table["id"],
                "name": column,
                "display_name": humanize(column),
                "description": None,
                "database_type": data_type,
                "base_type": base,
                "effective_type": base,
                "semantic_type": None,
                "visibility_type": "normal",
                "fk_target_field_id": None,
                "has_field_values": "list" if base == "type/Text" else "none",
                "settings": None,
                "coercion_strategy": None,
                "position": position - 1,
                "database_position": position - 1,
                "active": True,
            }
            table["fields"].append(field)
            s.fields[field["id"]] = field
        if self.sync_delay:
            s.pending_sync[db["id"]] = self.sync_delay

    # /api/table/:id and /api/field/:id (the data model: admins only in the open-source edition)
    def _table(self, method, rest, ident, query, body, admin):
        if not admin:
            raise Forbidden()
        table = self.state.tables[ident]
        if method == "GET" and not rest[1:]:
            return 200, table
        if method == "PUT" and not rest[1:]:
            body = _open(body, "table", TABLE_FIELDS)
            if body.get("visibility_type") not in (None, "hidden", "technical", "cruft"):
                raise Invalid("visibility_type", "value must be one of: hidden, technical, cruft.")
            table.update(body)
            return 200, {k: v for k, v in table.items() if not k.startswith("_")}
        raise KeyError(f"{method} /api/table/{'/'.join(rest)}")

    def _field(self, method, rest, ident, query, body, admin):
        if not admin:
            raise Forbidden()
        field = self.state.fields[ident]
        if method == "GET" and not rest[1:]:
            return 200, field
        if method == "PUT" and not rest[1:]:
            body = _open(body, "field", FIELD_FIELDS)
            if body.get("semantic_type") is not None and body["semantic_type"] not in SEMANTIC_TYPES:
                raise Invalid("semantic_type", "value must be a valid semantic type.")
            if "display_name" in body and not (body["display_name"] or "").strip():
                raise Invalid("display_name", "value must be a non-blank string.")
            field.update(body)
            return 200, field
        raise KeyError(f"{method} /api/field/{'/'.join(rest)}")

    # /api/collection
    def _new_collection(self, body: dict, personal_owner_id: int | None = None) -> dict:
        s = self.state
        parent = body.get("parent_id")
        if parent is not None and parent not in s.collections:
            raise Invalid("parent_id", f"collection {parent} does not exist")
        location = "/" if parent is None else f"{s.collections[parent]['location']}{parent}/"
        coll = {
            "authority_level": None,
            "description": None,
            "archived": False,
            "namespace": None,
            "type": None,
            **{k: v for k, v in body.items() if k != "parent_id"},
            "id": s.new_id("collection"),
            "slug": re.sub(r"[^a-z0-9]+", "_", body["name"].lower()),
            "entity_id": f"coll{len(s.collections):017d}",
            "location": location,
            "personal_owner_id": personal_owner_id,
            "created_at": "2026-11-13T02:32:00.000000Z",
        }
        s.collections[coll["id"]] = coll
        return coll

    def _hydrated_collection(self, coll: dict) -> dict:
        ids = [int(x) for x in coll["location"].strip("/").split("/") if x]
        return {
            **coll,
            "can_write": True,
            "can_delete": False,
            "is_remote_synced": False,
            "is_personal": bool(coll["personal_owner_id"])
            or any(self.state.collections[i]["personal_owner_id"] for i in ids),
            "parent_id": ids[-1] if ids else None,
        }

    def _collection(self, method, rest, ident, query, body, admin):
        s = self.state
        if method == "GET" and not rest:
            colls = [c for c in s.collections.values() if not c["archived"]]
            if query.get("exclude-other-user-collections", ["false"])[0] == "true":
                others = {
                    c["id"]
                    for c in s.collections.values()
                    if c["personal_owner_id"] not in (None, API_KEY_USER_ID)
                }

                def inside_others(c: dict) -> bool:
                    ids = [int(x) for x in c["location"].strip("/").split("/") if x]
                    return c["id"] in others or bool(ids and ids[0] in others)

                colls = [c for c in colls if not inside_others(c)]
            root = {
                "authority_level": None,
                "can_write": True,
                "name": "Our analytics",
                "is_remote_synced": False,
                "effective_ancestors": [],
                "can_restore": False,
                "effective_location": None,
                "parent_id": None,
                "id": "root",
                "is_personal": False,
                "can_delete": False,
            }
            return 200, [root, *(self._hydrated_collection(c) for c in colls)]
        if method == "POST" and not rest:
            body = _open(body, "collection", COLL_FIELDS, {"name"})
            return 200, self._hydrated_collection(self._new_collection(body))
        if method == "PUT" and ident is not None and not rest[1:]:
            body = _open(body, "collection", COLL_FIELDS)
            s.collections[ident].update({k: v for k, v in body.items() if k != "parent_id"})
            return 200, self._hydrated_collection(s.collections[ident])
        if method == "GET" and ident is not None and rest[1:] == ["items"]:
            if ident not in s.collections:
                raise KeyError(f"collection {ident}")
            models = set(query.get("models", ["card", "dashboard"]))
            items = [
                {"id": c["id"], "name": c["name"], "model": "card", "description": c["description"]}
                for c in s.cards.values()
                if c["collection_id"] == ident and not c["archived"] and "card" in models
            ]
            items += [
                {"id": d["id"], "name": d["name"], "model": "dashboard", "description": d["description"]}
                for d in s.dashboards.values()
                if d["collection_id"] == ident and "dashboard" in models
            ]
            return 200, {"data": items, "total": len(items), "models": sorted(models)}
        raise KeyError(f"{method} /api/collection/{'/'.join(rest)}")

    # /api/card
    def _card(self, method, rest, ident, query, body, admin):
        s = self.state
        if method == "GET" and ident is not None and not rest[1:]:
            legacy = self.mbql == "legacy" or (
                self.mbql == "mbql5" and query.get("legacy-mbql", ["false"])[0] == "true"
            )
            return 200, self._public_card(s.cards[ident], legacy=legacy)
        if method == "POST" and not rest:
            body = self._validate_card(body, partial=False)
            card = {
                "description": None,
                "archived": False,
                "collection_id": None,
                "type": "question",
                "parameters": [],
                "parameter_mappings": [],
                **body,
                "id": s.new_id("card"),
                "entity_id": f"card{len(s.cards):017d}",
                "created_at": "2026-11-13T02:32:00.000000Z",
            }
            s.cards[card["id"]] = card
            return 200, self._public_card(card, legacy=self.mbql == "legacy")
        if method == "PUT" and ident is not None and not rest[1:]:
            if ident not in s.cards:
                raise KeyError(f"card {ident}")
            body = self._validate_card(body, partial=True)
            s.cards[ident].update(body)
            return 200, self._public_card(s.cards[ident], legacy=self.mbql == "legacy")
        raise KeyError(f"{method} /api/card/{'/'.join(rest)}")

    def _public_card(self, card: dict, *, legacy: bool) -> dict:
        query = card["dataset_query"]
        return {
            **card,
            "dataset_query": to_legacy(query) if legacy else as_answered(query),
            "database_id": query["database"],
            "query_type": "native",
            "can_write": True,
            "dashboard_count": sum(
                any(dc["card_id"] == card["id"] for dc in d["dashcards"])
                for d in self.state.dashboards.values()
            ),
            "collection": None
            if card["collection_id"] is None
            else self._hydrated_collection(self.state.collections[card["collection_id"]]),
        }

    def _validate_card(self, body: Any, *, partial: bool) -> dict:
        required = set() if partial else {"name", "display", "visualization_settings", "dataset_query"}
        body = _open(body, "card", CARD_FIELDS, required)
        if "display" in body and body["display"] not in DISPLAYS:
            raise Invalid("display", f"unknown display {body['display']!r}")
        if "type" in body and body["type"] not in {"question", "model", "metric"}:
            raise Invalid("type", f"unknown card type {body['type']!r}")
        self._check_collection(body.get("collection_id"))
        if "dataset_query" in body:
            query = to_mbql5(body["dataset_query"])
            if query["database"] not in self.state.databases:
                raise Invalid("dataset_query", f"database {query['database']} does not exist")
            body["dataset_query"] = query
        return body

    def _check_collection(self, collection_id: Any) -> None:
        if collection_id is not None and collection_id not in self.state.collections:
            raise Invalid("collection_id", f"collection {collection_id} does not exist")

    # /api/dashboard
    def _dashboard(self, method, rest, ident, query, body, admin):
        s = self.state
        if method == "GET" and ident is not None and not rest[1:]:
            return 200, s.dashboards[ident]
        if method == "POST" and not rest:
            body = _open(body, "dashboard", DASH_FIELDS, {"name"})
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
        if method == "PUT" and ident is not None and not rest[1:]:
            dash = s.dashboards[ident]
            body = _open(body, "dashboard", DASH_PUT_FIELDS)
            params = body.get("parameters", dash["parameters"])
            self._validate_params(params)
            if "dashcards" in body:
                body["dashcards"] = self._apply_dashcards(dash, body["dashcards"], params)
            dash.update(body)
            return 200, dash
        raise KeyError(f"{method} /api/dashboard/{'/'.join(rest)}")

    def _validate_params(self, params: list) -> None:
        ids = set()
        for i, p in enumerate(params):
            p = _open(p, f"parameters[{i}]", PARAM_FIELDS, {"id", "name", "slug", "type"})
            if p["type"] not in PARAM_TYPES:
                raise Invalid("parameters", f"[{i}].type: unknown type {p['type']!r}")
            if p["id"] in ids:
                raise Invalid("parameters", f"[{i}].id: duplicate {p['id']!r}")
            ids.add(p["id"])

    def _apply_dashcards(self, dash: dict, dashcards: list, params: list) -> list:
        s = self.state
        existing = {dc["id"] for dc in dash["dashcards"]}
        param_ids = {p["id"] for p in params}
        out, seen = [], set()
        for i, dc in enumerate(dashcards):
            where = f"dashcards[{i}]"
            dc = _open(dc, where, DASHCARD_FIELDS, {"id", "card_id", "row", "col", "size_x", "size_y"})
            if dc["card_id"] not in s.cards:
                raise Invalid("dashcards", f"[{i}].card_id {dc['card_id']} does not exist")
            if dc["id"] > 0 and dc["id"] not in existing:
                raise Invalid("dashcards", f"[{i}].id {dc['id']} is not a dashcard of dashboard {dash['id']}")
            if dc["id"] == 0 or dc["id"] in seen:
                raise Invalid("dashcards", f"[{i}].id {dc['id']} is zero or repeated")
            seen.add(dc["id"])
            if (
                dc["col"] < 0
                or dc["row"] < 0
                or dc["size_x"] < 1
                or dc["size_y"] < 1
                or dc["col"] + dc["size_x"] > 24
            ):
                raise Invalid("dashcards", f"[{i}]: does not fit the 24-column grid")
            tags = s.cards[dc["card_id"]]["dataset_query"]["stages"][0].get("template-tags") or {}
            mappings = []
            for j, m in enumerate(dc.get("parameter_mappings") or []):
                mw = f"{where}.parameter_mappings[{j}]"
                m = _open(
                    m,
                    mw,
                    {"parameter_id": str, "card_id": int, "target": list},
                    {"parameter_id", "card_id", "target"},
                )
                if m["parameter_id"] not in param_ids:
                    raise Invalid(
                        "dashcards", f"{mw}.parameter_id {m['parameter_id']!r} is not a dashboard parameter"
                    )
                if m["card_id"] != dc["card_id"]:
                    raise Invalid("dashcards", f"{mw}.card_id differs from the dashcard's card")
                target = m["target"]
                if not (
                    len(target) == 2
                    and target[0] in ("variable", "dimension")
                    and isinstance(target[1], list)
                    and len(target[1]) == 2
                    and target[1][0] == "template-tag"
                ):
                    raise Invalid("dashcards", f"{mw}.target: expected ['variable', ['template-tag', name]]")
                if target[1][1] not in tags:
                    raise Invalid("dashcards", f"{mw}.target: card has no template tag {target[1][1]!r}")
                mappings.append(m)
            new = {
                "visualization_settings": {},
                "series": [],
                **dc,
                "parameter_mappings": mappings,
                "dashboard_id": dash["id"],
            }
            if dc["id"] < 0:
                new["id"] = s.new_id("dashcard")
            out.append(new)
        return out
