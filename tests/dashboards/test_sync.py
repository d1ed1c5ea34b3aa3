"""The Metabase sync against a stand-in server that enforces the API contract and keeps state."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from dashboards.metabase import MetabaseClient
from dashboards.spec import load_specs
from dashboards.sync import COLLECTION_NAME, DATABASE_NAME, WarehouseConnection, push
from tests.dashboards.conftest import API_KEY
from warehouse.errors import UserError


def _client(standin) -> MetabaseClient:
    return MetabaseClient(standin.url, API_KEY)


def _connection() -> WarehouseConnection:
    return WarehouseConnection("warehouse.internal", 5432, "absensi", "metabase_reader", "pw")


def test_first_push_creates_everything_wired_to_the_specs(standin):
    specs = load_specs()
    with _client(standin) as client:
        plan = push(client, _connection())
    state = standin.state
    n_cards = sum(len(d.cards) for d in specs)
    assert [a.op for a in plan.actions].count("create") == 2 + n_cards + len(specs)
    assert [d["name"] for d in state.databases.values()] == [DATABASE_NAME]
    db = next(iter(state.databases.values()))
    assert db["details"]["user"] == "metabase_reader" and db["details"]["schema-filters-patterns"] == "marts"
    assert [c["name"] for c in state.collections.values()] == [COLLECTION_NAME]
    assert len(state.cards) == n_cards
    assert sorted(d["name"] for d in state.dashboards.values()) == sorted(d.name for d in specs)
    for spec in specs:
        dash = next(d for d in state.dashboards.values() if d["name"] == spec.name)
        assert [p["slug"] for p in dash["parameters"]] == [f.tag for f in spec.filters]
        assert len(dash["dashcards"]) == len(spec.cards)
        by_card = {state.cards[dc["card_id"]]["name"]: dc for dc in dash["dashcards"]}
        for card in spec.cards:
            dc = by_card[card.name]
            assert (dc["col"], dc["row"], dc["size_x"]) == (
                card.layout.col,
                card.layout.row,
                card.layout.width,
            )
            mapped = sorted(m["target"][1][1] for m in dc["parameter_mappings"])
            assert mapped == sorted(card.tags)
            native = state.cards[dc["card_id"]]["dataset_query"]["native"]
            assert native["query"] == card.sql


def test_second_push_changes_nothing_and_duplicates_nothing(standin):
    with _client(standin) as client:
        push(client, _connection())
        writes_before = len(standin.state.writes)
        counts = (len(standin.state.cards), len(standin.state.dashboards), len(standin.state.databases))
        plan = push(client, _connection())
    assert plan.changes == []
    assert len(standin.state.writes) == writes_before
    assert (len(standin.state.cards), len(standin.state.dashboards), len(standin.state.databases)) == counts


def test_dry_run_plans_without_writing(standin):
    with _client(standin) as client:
        plan = push(client, _connection(), dry_run=True)
        assert standin.state.writes == []
        assert plan.changes and all(a.op == "create" for a in plan.changes)
        push(client, _connection())
        specs = load_specs()
        # change one card's SQL: the dry run names exactly that card, the push updates only it
        first = specs[0]
        changed = dataclasses.replace(first.cards[0], sql=first.cards[0].sql + "\n-- revisi")
        specs[0] = dataclasses.replace(first, cards=(changed, *first.cards[1:]))
        writes = len(standin.state.writes)
        dry = push(client, _connection(), dry_run=True, dashboards=specs)
        assert len(standin.state.writes) == writes
        assert [(a.kind, a.name, a.changed) for a in dry.changes] == [
            ("card", changed.name, ["dataset_query"])
        ]
        real = push(client, _connection(), dashboards=specs)
    assert [a.name for a in real.changes] == [changed.name]
    assert standin.state.writes[writes:] == [("PUT", f"/api/card/{_card_id(standin, changed.name)}")]


def _card_id(standin, name: str) -> int:
    return next(c["id"] for c in standin.state.cards.values() if c["name"] == name)


def test_removed_card_leaves_the_dashboard_and_new_card_gets_a_negative_id(standin):
    specs = load_specs()
    with _client(standin) as client:
        push(client, _connection(), dashboards=specs)
        first = specs[0]
        dash = next(d for d in standin.state.dashboards.values() if d["name"] == first.name)
        kept_ids = {dc["id"] for dc in dash["dashcards"]}
        specs[0] = dataclasses.replace(first, cards=first.cards[1:])
        push(client, _connection(), dashboards=specs)
    dash = next(d for d in standin.state.dashboards.values() if d["name"] == first.name)
    assert len(dash["dashcards"]) == len(first.cards) - 1
    assert {dc["id"] for dc in dash["dashcards"]} < kept_ids  # survivors keep their ids
    removed = next(c for c in standin.state.cards.values() if c["name"] == first.cards[0].name)
    assert removed["archived"] is True
    # putting the card back in the specs creates a fresh one (archived cards are not in the collection)
    with _client(standin) as client:
        plan = push(client, _connection())
    assert [(a.kind, a.op) for a in plan.changes] == [("card", "create"), ("dashboard", "update")]


def test_database_change_is_pushed_and_password_never_compared(standin):
    with _client(standin) as client:
        push(client, _connection())
        moved = dataclasses.replace(_connection(), host="db2.internal", password="other")
        plan = push(client, moved)
    assert [(a.kind, a.changed) for a in plan.changes] == [("database", ["details"])]
    assert next(iter(standin.state.databases.values()))["details"]["host"] == "db2.internal"


def test_wrong_api_key_is_one_clear_error(standin):
    with MetabaseClient(standin.url, "wrong") as client, pytest.raises(UserError, match="API key"):
        push(client, _connection())


def test_unreachable_metabase_is_one_clear_error():
    with MetabaseClient("http://127.0.0.1:9", API_KEY) as client, pytest.raises(UserError, match="dihubungi"):
        client.databases()


def test_standin_rejects_unknown_fields_and_wrong_shapes(standin):
    """The stand-in is strict: what the sync sends passes only because it matches the contract."""
    headers = {"x-api-key": API_KEY}
    with httpx.Client(base_url=standin.url, headers=headers) as http:
        r = http.post("/api/collection", json={"name": "x", "colour": "#fff"})
        assert r.status_code == 400 and "colour" in r.text
        r = http.post("/api/database", json={"name": "x", "engine": "postgres", "details": {"host": "h"}})
        assert r.status_code == 400 and "missing" in r.text
        db = http.post(
            "/api/database",
            json={
                "name": "x",
                "engine": "postgres",
                "details": {"host": "h", "port": 1, "dbname": "d", "user": "u"},
            },
        ).json()
        bad_card = {
            "name": "c",
            "display": "table",
            "visualization_settings": {},
            "dataset_query": {"type": "native", "database": db["id"], "native": {"query": "select {{x}}"}},
        }
        r = http.post("/api/card", json=bad_card)
        assert r.status_code == 400 and "template-tags" in r.text
        dash = http.post("/api/dashboard", json={"name": "d"}).json()
        r = http.put(f"/api/dashboard/{dash['id']}", json={"dashcards": [{"id": 5, "card_id": 1}]})
        assert r.status_code == 400
        r = http.put(f"/api/dashboard/{dash['id']}", json={"ordered_cards": []})
        assert r.status_code == 400 and "ordered_cards" in r.text
        assert http.get("/api/database", headers={"x-api-key": "nope"}).status_code == 401


def test_cli_push_dry_run_then_push(standin, metabase_env, run_cli, monkeypatch):
    monkeypatch.setenv("METABASE_API_KEY", API_KEY)
    dry = run_cli("dashboards", "push", "--metabase-url", standin.url, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "buat" in dry.stdout and "Peringkat Disiplin OPD" in dry.stdout
    assert standin.state.writes == []
    done = run_cli("dashboards", "push", "--metabase-url", standin.url)
    assert done.exit_code == 0, done.output
    details = standin.state.databases[1]["details"]
    assert (details["host"], details["user"], details["password"]) == (
        "warehouse.internal",
        "metabase_reader",
        "s3cret-from-env",
    )
    again = run_cli("dashboards", "push", "--metabase-url", standin.url)
    assert again.exit_code == 0 and "0 dibuat, 0 diperbarui" in again.output


def test_cli_push_without_db_credentials_fails_cleanly(standin, run_cli, monkeypatch):
    monkeypatch.delenv("METABASE_READER_PASSWORD", raising=False)
    result = run_cli("dashboards", "push", "--metabase-url", standin.url, "--api-key", API_KEY)
    assert result.exit_code == 2 and "METABASE_READER_PASSWORD" in result.stderr
    assert standin.state.writes == []
