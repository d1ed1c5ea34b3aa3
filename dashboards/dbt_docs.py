"""dbt's documentation of the marts, as Metabase's data model should show it.

Reads `dbt/target/manifest.json` (written by every dbt run) and says, per table and field Metabase
knows, what to change so that Metabase shows dbt's model and column descriptions and the semantic
types declared in the dbt YAML. The conventions are dbt-metabase's, so a project can move to that
tool without touching its YAML: a column's `meta` (or `config: {meta: ...}`) may carry
`metabase.semantic_type` (e.g. `type/Currency`, `type/Category`, `type/Name`, `type/Percentage`),
`metabase.currency` (`IDR`, for `type/Currency`) and `metabase.display_name`; a model's may carry
`metabase.display_name`.

dbt-metabase itself (`dbt-metabase models`) installs beside dbt-core 1.11 and Airflow 3.3, but it
is not used here: it reports every relationships test whose target Metabase does not see as an
error and then fails the whole run (our marts test `nip` against the staging model, and Metabase
only syncs `marts`), it has no dry run, and it always triggers a schema sync and sleeps five
seconds. What this module does instead is small: descriptions, display names, semantic types and
the currency; nothing is reset that dbt does not declare, except descriptions (dbt is their home).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warehouse.errors import UserError

Json = dict[str, Any]

META_NS = "metabase."


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    description: str | None
    display_name: str | None = None
    semantic_type: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class ModelDoc:
    schema: str
    name: str  # the relation's name in the warehouse (dbt alias)
    description: str | None
    display_name: str | None
    columns: tuple[ColumnDoc, ...]

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Change:
    kind: str  # table | field
    name: str  # schema.table or schema.table.column
    entity_id: int | None  # None: Metabase has no such table or field (yet)
    body: Json  # the PUT body; empty when nothing differs


def _text(value: Any) -> str | None:
    text = " ".join(str(value or "").split())
    return text or None


def _meta(node: Json) -> Json:
    """`meta` and `config.meta` together (dbt 1.10+ moved column and model meta under config)."""
    return {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}


def load_manifest(path: Path, schema: str = "marts") -> list[ModelDoc]:
    """The documented models of `schema` in a dbt manifest, in name order."""
    if not path.is_file():
        raise UserError(
            f"{path} belum ada: jalankan `absensi transform` dulu (dbt menulis manifest di sana), lalu ulangi"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise UserError(f"{path} bukan manifest dbt yang sah: {exc}") from exc
    models = []
    for node in (manifest.get("nodes") or {}).values():
        if node.get("resource_type") != "model" or node.get("schema") != schema:
            continue
        if (node.get("config") or {}).get("materialized") == "ephemeral":
            continue
        meta = _meta(node)
        columns = []
        for column in (node.get("columns") or {}).values():
            cmeta = _meta(column)
            columns.append(
                ColumnDoc(
                    name=column["name"],
                    description=_text(column.get("description")),
                    display_name=_text(cmeta.get(f"{META_NS}display_name")),
                    semantic_type=_text(cmeta.get(f"{META_NS}semantic_type")),
                    currency=_text(cmeta.get(f"{META_NS}currency")),
                )
            )
        models.append(
            ModelDoc(
                schema=schema,
                name=node.get("alias") or node["name"],
                description=_text(node.get("description")),
                display_name=_text(meta.get(f"{META_NS}display_name")),
                columns=tuple(columns),
            )
        )
    return sorted(models, key=lambda m: m.name)


def tables_by_name(metadata: Json, schema: str = "marts") -> dict[str, Json]:
    """Metabase's tables of `schema` (GET /api/database/:id/metadata), by table name."""
    return {t["name"]: t for t in metadata.get("tables") or [] if (t.get("schema") or "") == schema}


def missing_tables(models: list[ModelDoc], metadata: Json) -> list[str]:
    known = tables_by_name(metadata, models[0].schema) if models else {}
    return [m.label for m in models if m.name not in known]


def table_body(model: ModelDoc, table: Json) -> Json:
    body: Json = {}
    if table.get("description") != model.description:
        body["description"] = model.description
    if model.display_name and table.get("display_name") != model.display_name:
        body["display_name"] = model.display_name
    return body


def field_body(column: ColumnDoc, field: Json) -> Json:
    body: Json = {}
    if field.get("description") != column.description:
        body["description"] = column.description
    if column.display_name and field.get("display_name") != column.display_name:
        body["display_name"] = column.display_name
    if column.semantic_type and field.get("semantic_type") != column.semantic_type:
        body["semantic_type"] = column.semantic_type
    settings = field.get("settings") or {}
    if column.currency and settings.get("currency") != column.currency:
        body["settings"] = {**settings, "currency": column.currency}
    return body


def plan_docs(models: list[ModelDoc], metadata: Json) -> list[Change]:
    """One Change per documented table and column, in the manifest's order."""
    tables = tables_by_name(metadata, models[0].schema) if models else {}
    changes = []
    for model in models:
        table = tables.get(model.name)
        if table is None:
            changes.append(Change("table", model.label, None, {}))
            continue
        changes.append(Change("table", model.label, table["id"], table_body(model, table)))
        fields = {f["name"]: f for f in table.get("fields") or []}
        for column in model.columns:
            found = fields.get(column.name)
            name = f"{model.label}.{column.name}"
            if found is None:
                changes.append(Change("field", name, None, {}))
            else:
                changes.append(Change("field", name, found["id"], field_body(column, found)))
    return changes
