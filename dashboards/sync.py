"""Push the dashboard specs to Metabase: database connection, one collection, every card and
dashboard, and dbt's descriptions and semantic types onto the tables and fields Metabase synced.

Idempotent by construction: objects are matched by name (the database by name, the collection by
name among root-level collections that are nobody's personal one, cards and dashboards by name
inside that collection), ids inside payloads (template tags, dashboard parameters) are derived
from the spec keys, and an object is written only when a field we own differs from what Metabase
holds. Cards are compared on their native query whatever shape Metabase answers in (MBQL 5 from
0.57 on, MBQL 4 before or with `?legacy-mbql=true`). A second push therefore plans nothing and
writes nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dashboards.dbt_docs import ModelDoc, missing_tables, plan_docs
from dashboards.metabase import Json, MetabaseClient
from dashboards.spec import Card, Dashboard, load_specs
from warehouse.errors import UserError
from warehouse.settings import MetabaseSettings

DATABASE_NAME = "Gudang Absensi"
COLLECTION_NAME = "Absensi ASN"
COLLECTION_DESCRIPTION = (
    "Dasbor absensi ASN (dikelola sebagai kode di repositori; perubahan manual akan ditimpa)."
)
_ID_NAMESPACE = uuid.UUID("0b6c7f0e-4a53-4d1a-9d0e-6a6273656e73")
_SECTION = {"date/single": "date", "string/=": "string", "number/=": "number"}


@dataclass(frozen=True)
class WarehouseConnection:
    """How Metabase reaches the warehouse: the login `metabase_reader`, a member of the read-only role
    absensi_metabase (docker/postgres/init-databases.sh creates it).

    Names follow .env.example / docker-compose: METABASE_READER_USER (default metabase_reader) and
    METABASE_READER_PASSWORD; the server as Metabase sees it: METABASE_WAREHOUSE_HOST (default
    postgres, the compose service), METABASE_WAREHOUSE_PORT (5432), METABASE_WAREHOUSE_DB (absensi).
    The password never comes from the repository."""

    host: str
    port: int
    dbname: str
    user: str
    password: str

    force_password_update: bool = False

    @classmethod
    def from_settings(
        cls, settings: MetabaseSettings, *, require_password: bool = True
    ) -> WarehouseConnection:
        password = settings.reader_password
        if require_password and not password:
            raise UserError(
                "METABASE_READER_PASSWORD harus diisi: kata sandi login database hanya-baca (peran "
                "absensi_metabase) yang dipakai Metabase untuk membaca gudang"
            )
        port = settings.warehouse_port
        if not port.isdigit():
            raise UserError(f"METABASE_WAREHOUSE_PORT '{port}' bukan nomor port")
        return cls(
            host=settings.warehouse_host,
            port=int(port),
            dbname=settings.warehouse_db,
            user=settings.reader_user,
            password=password,
            force_password_update=settings.force_password_update,
        )

    def details(self) -> Json:
        return {
            "host": self.host,
            "port": self.port,
            "dbname": self.dbname,
            "user": self.user,
            "password": self.password,
            # No "ssl" key: Metabase tries SSL first and keeps it when the server offers it
            # (metabase.warehouses.util/test-connection-details), so the stored value is its call.
            # Only the marts: analysts never see raw punches through Metabase.
            "schema-filters-type": "inclusion",
            "schema-filters-patterns": "marts",
        }


@dataclass
class Action:
    kind: str  # database | collection | card | dashboard | table | field
    name: str
    op: str  # create | update | unchanged | archive | missing (dbt documents it, Metabase has not synced it)
    changed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        verb = {
            "create": "buat",
            "update": "perbarui",
            "unchanged": "tetap",
            "archive": "arsipkan",
            "missing": "belum ada",
        }[self.op]
        extra = f" ({', '.join(self.changed)})" if self.changed else ""
        return f"{verb:9} {self.kind:10} {self.name}{extra}"


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    applied: bool = False

    @property
    def changes(self) -> list[Action]:
        """What a push writes (or, in a dry run, would write)."""
        return [a for a in self.actions if a.op not in ("unchanged", "missing")]

    @property
    def missing(self) -> list[Action]:
        return [a for a in self.actions if a.op == "missing"]

    def summary(self) -> str:
        ops = ("create", "update", "unchanged", "archive", "missing")
        n = {op: sum(a.op == op for a in self.actions) for op in ops}
        archived = f", {n['archive']} diarsipkan" if n["archive"] else ""
        missing = f", {n['missing']} belum tersinkron di Metabase" if n["missing"] else ""
        return f"{n['create']} dibuat, {n['update']} diperbarui, {n['unchanged']} tetap{archived}{missing}"


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(parts)))


def parameter_id(dashboard: Dashboard, tag: str) -> str:
    return stable_id(dashboard.key, "param", tag)[:8]


def diff(desired: Any, current: Any, path: str = "") -> list[str]:
    """Fields of `desired` that `current` does not hold. Keys Metabase adds on its own are ignored."""
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return [path or "."]
        out: list[str] = []
        for key, value in desired.items():
            out += diff(value, current.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(desired, list):
        if not isinstance(current, list) or len(desired) != len(current):
            return [path]
        out = []
        for i, (d, c) in enumerate(zip(desired, current, strict=True)):
            out += diff(d, c, f"{path}[{i}]")
        return sorted(set(out))
    return [] if desired == current else [path]


def _top(fields: list[str]) -> list[str]:
    return sorted({f.split(".")[0].split("[")[0] for f in fields})


def database_payload(conn: WarehouseConnection) -> Json:
    return {"name": DATABASE_NAME, "engine": "postgres", "details": conn.details()}


def card_payload(dashboard: Dashboard, card: Card, database_id: int, collection_id: int) -> Json:
    """The card as we write it: the native query in MBQL 5, the shape the current release stores
    and answers in (it still accepts MBQL 4 on input)."""
    tags = {}
    for tag in card.tags:
        f = dashboard.filter(tag)
        tags[tag] = {
            "id": stable_id(dashboard.key, card.key, tag),
            "name": tag,
            "display-name": f.name,
            "type": f.tag_type,
            "required": False,
        }
    return {
        "name": card.name,
        "description": card.description or None,
        "type": "question",
        "display": card.display,
        "collection_id": collection_id,
        "visualization_settings": card.visualization_settings(),
        "dataset_query": {
            "lib/type": "mbql/query",
            "database": database_id,
            "stages": [{"lib/type": "mbql.stage/native", "native": card.sql, "template-tags": tags}],
        },
    }


def native_query(dataset_query: Any) -> Json:
    """What a native card's query says, whichever shape it comes in: MBQL 5
    (`{"lib/type": "mbql/query", "stages": [{"native": sql, "template-tags": ...}]}`) or MBQL 4
    (`{"type": "native", "native": {"query": sql, "template-tags": ...}}`). Keys Metabase adds to a
    tag on its own are dropped, a missing `required` reads as false and a missing "template-tags"
    as none (an MBQL 5 stage without tags carries no such key), so both shapes of the same card
    compare equal."""
    if not isinstance(dataset_query, dict):
        return {"shape": repr(dataset_query)}
    if dataset_query.get("lib/type") == "mbql/query":
        stages = dataset_query.get("stages") or []
        stage = stages[0] if len(stages) == 1 and isinstance(stages[0], dict) else {}
        if stage.get("lib/type", "mbql.stage/native") != "mbql.stage/native":
            return {"shape": f"{len(stages)} stage(s), {stage.get('lib/type')}"}
        sql, tags = stage.get("native"), stage.get("template-tags")
    else:
        native = dataset_query.get("native") or {}
        if dataset_query.get("type") != "native":
            return {"shape": str(dataset_query.get("type"))}
        sql, tags = native.get("query"), native.get("template-tags")
    canonical_tags = {
        str(name): {
            "id": tag.get("id"),
            "name": tag.get("name"),
            "display-name": tag.get("display-name"),
            "type": tag.get("type"),
            "required": bool(tag.get("required")),
        }
        for name, tag in (tags or {}).items()
        if isinstance(tag, dict)
    }
    return {"database": dataset_query.get("database"), "query": sql, "template-tags": canonical_tags}


def card_changes(desired: Json, current: Json) -> list[str]:
    """Top-level fields of the card to rewrite; the query is compared as `native_query` says."""
    ours = {**desired, "dataset_query": native_query(desired["dataset_query"])}
    theirs = {**current, "dataset_query": native_query(current.get("dataset_query"))}
    return _top(diff(ours, theirs))


def root_collection(collections: list[Json], name: str) -> Json | None:
    """Our collection: named `name`, directly under the root ("Our analytics", location "/"), in the
    default namespace, not archived, nobody's personal collection and an ordinary one (`type` null:
    Metabase's own "instance-analytics", "trash" and library collections carry a type). A same-named
    collection nested elsewhere, or inside someone's personal collection, is somebody else's."""
    ours = [
        c
        for c in collections
        if isinstance(c.get("id"), int)
        and c.get("location") == "/"
        and not c.get("personal_owner_id")
        and not c.get("namespace")
        and not c.get("archived")
        and not c.get("type")
    ]
    return _find_one(ours, name, "koleksi di tingkat teratas")


def dashboard_parameters(dashboard: Dashboard) -> list[Json]:
    return [
        {
            "id": parameter_id(dashboard, f.tag),
            "name": f.name,
            "slug": f.tag,
            "type": f.parameter_type,
            "sectionId": _SECTION[f.parameter_type],
        }
        for f in dashboard.filters
    ]


def dashcards_payload(dashboard: Dashboard, card_ids: dict[str, int], existing: list[Json]) -> list[Json]:
    """The full dashcards list: an existing dashcard keeps its id, a new one gets a negative id."""
    existing_by_card: dict[int, int] = {}
    for dc in existing:
        if isinstance(dc.get("card_id"), int):  # text and heading dashcards carry no card
            existing_by_card.setdefault(dc["card_id"], dc["id"])
    out = []
    for i, card in enumerate(dashboard.cards):
        card_id = card_ids[card.key]
        out.append(
            {
                "id": existing_by_card.get(card_id, -(i + 1)),
                "card_id": card_id,
                "row": card.layout.row,
                "col": card.layout.col,
                "size_x": card.layout.width,
                "size_y": card.layout.height,
                "parameter_mappings": [
                    {
                        "parameter_id": parameter_id(dashboard, tag),
                        "card_id": card_id,
                        "target": ["variable", ["template-tag", tag]],
                    }
                    for tag in card.tags
                ],
                "visualization_settings": {},
            }
        )
    return out


def _find_one(items: list[Json], name: str, what: str) -> Json | None:
    matches = [i for i in items if i.get("name") == name and not i.get("archived")]
    if len(matches) > 1:
        raise UserError(f"Metabase memiliki {len(matches)} {what} bernama '{name}': hapus duplikatnya dulu")
    return matches[0] if matches else None


def push(
    client: MetabaseClient,
    connection: WarehouseConnection,
    *,
    dry_run: bool = False,
    dashboards: list[Dashboard] | None = None,
    docs: list[ModelDoc] | None = None,
    sync_wait: float = 120.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Plan:
    """Bring Metabase to the specs; with dry_run, only read and return the plan.

    `docs` (dashboards.dbt_docs.load_manifest) are pushed onto the tables and fields Metabase synced
    from the warehouse; right after the connection is created Metabase is still syncing, so the push
    asks for a sync and waits up to `sync_wait` seconds for the documented tables to appear."""
    dashboards = dashboards if dashboards is not None else load_specs()
    plan = Plan(applied=not dry_run)
    placeholder = -1  # ids of objects a dry run would create

    # 1. the warehouse connection (read-only login; only the marts schema is synced)
    desired_db = database_payload(connection)
    db = _find_one(client.databases(), DATABASE_NAME, "database")
    if db is None:
        plan.actions.append(Action("database", DATABASE_NAME, "create"))
        database_id = placeholder if dry_run else client.create_database(desired_db)["id"]
    else:
        database_id = db["id"]
        # Metabase never returns the password, so a rotated password cannot be detected: set
        # METABASE_READER_FORCE_UPDATE=1 to push the connection (and its password) anyway.
        compare = {
            **desired_db,
            "details": {k: v for k, v in desired_db["details"].items() if k != "password"},
        }
        changed = _top(diff(compare, client.database(database_id)))
        if connection.force_password_update:
            changed = changed or ["details"]
        plan.actions.append(Action("database", DATABASE_NAME, "update" if changed else "unchanged", changed))
        if changed and not dry_run:
            client.update_database(database_id, desired_db)

    # 2. the collection, at the root
    desired_coll = {"name": COLLECTION_NAME, "description": COLLECTION_DESCRIPTION}
    coll = root_collection(client.collections(), COLLECTION_NAME)
    if coll is None:
        plan.actions.append(Action("collection", COLLECTION_NAME, "create"))
        collection_id = (
            placeholder if dry_run else client.create_collection({**desired_coll, "parent_id": None})["id"]
        )
        items: list[Json] = []
    else:
        collection_id = coll["id"]
        changed = _top(diff(desired_coll, coll))
        plan.actions.append(
            Action("collection", COLLECTION_NAME, "update" if changed else "unchanged", changed)
        )
        if changed and not dry_run:
            client.update_collection(collection_id, desired_coll)
        items = client.collection_items(collection_id, ["card", "dashboard"])

    cards_by_name = {i["name"]: i for i in items if i.get("model") == "card"}
    dashboards_by_name = {i["name"]: i for i in items if i.get("model") == "dashboard"}

    # 3. cards, then dashboards that place them
    for dashboard in dashboards:
        card_ids: dict[str, int] = {}
        for card in dashboard.cards:
            desired = card_payload(dashboard, card, database_id, collection_id)
            found = cards_by_name.get(card.name)
            if found is None:
                plan.actions.append(Action("card", card.name, "create"))
                placeholder -= 1
                card_ids[card.key] = placeholder if dry_run else client.create_card(desired)["id"]
                continue
            card_ids[card.key] = found["id"]
            changed = card_changes(desired, client.card(found["id"]))
            plan.actions.append(Action("card", card.name, "update" if changed else "unchanged", changed))
            if changed and not dry_run:
                client.update_card(found["id"], desired)

        params = dashboard_parameters(dashboard)
        found = dashboards_by_name.get(dashboard.name)
        if found is None:
            plan.actions.append(Action("dashboard", dashboard.name, "create"))
            if dry_run:
                continue
            created = client.create_dashboard(
                {
                    "name": dashboard.name,
                    "description": dashboard.description or None,
                    "collection_id": collection_id,
                    "parameters": params,
                }
            )
            current = client.dashboard(created["id"])
            new = True
        else:
            current = client.dashboard(found["id"])
            new = False
        desired_dash = {
            "name": dashboard.name,
            "description": dashboard.description or None,
            "parameters": params,
            "dashcards": dashcards_payload(dashboard, card_ids, current.get("dashcards") or []),
        }
        dashcards: list[Json] = desired_dash["dashcards"]  # type: ignore[assignment]
        compare = {**desired_dash, "dashcards": sorted(dashcards, key=lambda d: d["card_id"])}
        current_sorted = {
            **current,
            "dashcards": sorted(current.get("dashcards") or [], key=lambda d: d["card_id"]),
        }
        changed = _top(diff(compare, current_sorted))
        if not new:
            plan.actions.append(
                Action("dashboard", dashboard.name, "update" if changed else "unchanged", changed)
            )
        if changed and not dry_run:
            client.update_dashboard(current["id"], desired_dash)

    # 4. cards of ours that no spec names any more: archived (Metabase keeps them restorable)
    wanted = {c.name for d in dashboards for c in d.cards}
    for name, item in sorted(cards_by_name.items()):
        if name not in wanted:
            plan.actions.append(Action("card", name, "archive"))
            if not dry_run:
                client.update_card(item["id"], {"archived": True})

    # 5. dbt's descriptions and semantic types on the synced tables and fields
    if docs:
        push_docs(client, database_id, docs, plan, dry_run=dry_run, sync_wait=sync_wait, sleep=sleep)
    return plan


def push_docs(
    client: MetabaseClient,
    database_id: int,
    docs: list[ModelDoc],
    plan: Plan,
    *,
    dry_run: bool,
    sync_wait: float,
    sleep: Callable[[float], None],
    poll: float = 2.0,
) -> None:
    """Add a table/field Action per documented model and column to `plan` and write the changes."""
    if database_id < 0:  # dry run before the connection exists: nothing synced to compare with
        plan.actions += [Action("table", m.label, "missing") for m in docs]
        return
    metadata = client.database_metadata(database_id)
    if missing_tables(docs, metadata) and not dry_run:
        client.sync_schema(database_id)
        waited = 0.0
        while missing_tables(docs, metadata) and waited < sync_wait:
            sleep(poll)
            waited += poll
            metadata = client.database_metadata(database_id)
    for change in plan_docs(docs, metadata):
        if change.entity_id is None:
            plan.actions.append(Action(change.kind, change.name, "missing"))
            continue
        op = "update" if change.body else "unchanged"
        plan.actions.append(Action(change.kind, change.name, op, sorted(change.body)))
        if change.body and not dry_run:
            if change.kind == "table":
                client.update_table(change.entity_id, change.body)
            else:
                client.update_field(change.entity_id, change.body)
