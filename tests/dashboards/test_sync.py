"""The Metabase sync against a stand-in server that enforces the API contract of the current release,
keeps state, and really connects to the warehouse (tests/dashboards/metabase_standin.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

from dashboards.dbt_docs import load_manifest
from dashboards.metabase import MetabaseClient
from dashboards.spec import load_specs
from dashboards.sync import COLLECTION_NAME, DATABASE_NAME, native_query, push
from tests.conftest import create_database, drop_database
from tests.dashboards.conftest import API_KEY
from tests.dashboards.metabase_fixtures import reader_login  # noqa: F401  (fixture)
from tests.dashboards.metabase_standin import StandinServer
from warehouse.db import conninfo_parts
from warehouse.errors import UserError
from warehouse.settings import DBT_PROJECT_DIR

ANALYST_KEY = "mb_analyst_key_456"
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def _client(standin, key: str = API_KEY) -> MetabaseClient:
    return MetabaseClient(standin.url, key)


@pytest.fixture
def connection(reader_login, db_url):  # noqa: F811
    """The reader login on a fresh migrated warehouse (its marts schema is empty)."""
    return reader_login.connection(db_url)


@pytest.fixture(params=["mbql5", "mbql5-only", "legacy"])
def any_standin(request):
    """Metabase 0.57+ (MBQL 5 unless ?legacy-mbql=true), a release without that parameter, and 0.56."""
    server = StandinServer(API_KEY, mbql=request.param).start()
    yield server
    server.stop()


def test_first_push_creates_everything_wired_to_the_specs(standin, connection):
    specs = load_specs()
    with _client(standin) as client:
        plan = push(client, connection)
    state = standin.state
    n_cards = sum(len(d.cards) for d in specs)
    assert [a.op for a in plan.actions].count("create") == 2 + n_cards + len(specs)
    assert [d["name"] for d in state.databases.values()] == [DATABASE_NAME]
    db = next(iter(state.databases.values()))
    assert db["details"]["user"] == connection.user and db["details"]["schema-filters-patterns"] == "marts"
    assert [c["name"] for c in state.collections.values()] == [COLLECTION_NAME]
    assert next(iter(state.collections.values()))["location"] == "/"
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
            stored = state.cards[dc["card_id"]]["dataset_query"]
            assert stored["lib/type"] == "mbql/query" and stored["stages"][0]["native"] == card.sql
            assert sorted(stored["stages"][0]["template-tags"]) == sorted(card.tags)


def test_second_push_changes_nothing_and_duplicates_nothing(any_standin, connection):
    """Whatever shape the cards come back in (MBQL 5, or MBQL 4 from 0.56 and ?legacy-mbql=true)."""
    with _client(any_standin) as client:
        push(client, connection)
        card = client.card(next(iter(any_standin.state.cards)))
        assert ("stages" in card["dataset_query"]) == (any_standin.mbql != "legacy")
        writes_before = len(any_standin.state.writes)
        s = any_standin.state
        counts = (len(s.cards), len(s.dashboards), len(s.databases), len(s.collections))
        plan = push(client, connection)
    assert plan.changes == [] and plan.actions and all(a.op == "unchanged" for a in plan.actions)
    assert len(any_standin.state.writes) == writes_before
    assert (len(s.cards), len(s.dashboards), len(s.databases), len(s.collections)) == counts


def test_card_without_template_tags_is_unchanged_on_the_second_push(any_standin, connection):
    """Metabase answers a tagless native stage without a "template-tags" key (MBQL 5) or with an
    empty map (MBQL 4): neither reads as a change of the `{}` we wrote."""
    specs = load_specs()
    first = specs[0]
    plain = dataclasses.replace(
        first.cards[0], sql="select count(*) as jumlah from marts.mart_opd_discipline_monthly"
    )
    specs[0] = dataclasses.replace(first, cards=(plain, *first.cards[1:]))
    with _client(any_standin) as client:
        push(client, connection, dashboards=specs)
        card_id = _card_id(any_standin, plain.name)
        answered = client.card(card_id)["dataset_query"]
        if any_standin.mbql != "legacy":
            assert "template-tags" not in answered["stages"][0]  # as real 0.57+ answers it
        writes = len(any_standin.state.writes)
        again = push(client, connection, dashboards=specs)
    assert again.changes == [] and len(any_standin.state.writes) == writes


def test_native_query_reads_both_shapes_alike(standin, connection):
    with _client(standin) as client:
        push(client, connection)
        card_id = next(iter(standin.state.cards))
        mbql5 = client.card(card_id)["dataset_query"]
        legacy = client._request("GET", f"/api/card/{card_id}", params={"legacy-mbql": "true"})[
            "dataset_query"
        ]
    assert mbql5["lib/type"] == "mbql/query" and legacy["type"] == "native"
    assert native_query(mbql5) == native_query(legacy)
    assert (
        native_query(mbql5)["query"] == standin.state.cards[card_id]["dataset_query"]["stages"][0]["native"]
    )
    # a card someone turned into a GUI question no longer compares equal
    gui = {
        "lib/type": "mbql/query",
        "database": 1,
        "stages": [{"lib/type": "mbql.stage/mbql", "source-table": 3}],
    }
    assert native_query(gui) != native_query(mbql5)


def test_dry_run_plans_without_writing(standin, connection):
    with _client(standin) as client:
        plan = push(client, connection, dry_run=True)
        assert standin.state.writes == []
        assert plan.changes and all(a.op == "create" for a in plan.changes)
        push(client, connection)
        specs = load_specs()
        # change one card's SQL: the dry run names exactly that card, the push updates only it
        first = specs[0]
        changed = dataclasses.replace(first.cards[0], sql=first.cards[0].sql + "\n-- revisi")
        specs[0] = dataclasses.replace(first, cards=(changed, *first.cards[1:]))
        writes = len(standin.state.writes)
        dry = push(client, connection, dry_run=True, dashboards=specs)
        assert len(standin.state.writes) == writes
        assert [(a.kind, a.name, a.changed) for a in dry.changes] == [
            ("card", changed.name, ["dataset_query"])
        ]
        real = push(client, connection, dashboards=specs)
    assert [a.name for a in real.changes] == [changed.name]
    assert standin.state.writes[writes:] == [("PUT", f"/api/card/{_card_id(standin, changed.name)}")]


def _card_id(standin, name: str) -> int:
    return next(c["id"] for c in standin.state.cards.values() if c["name"] == name)


def test_removed_card_leaves_the_dashboard_and_new_card_gets_a_negative_id(standin, connection):
    specs = load_specs()
    with _client(standin) as client:
        push(client, connection, dashboards=specs)
        first = specs[0]
        dash = next(d for d in standin.state.dashboards.values() if d["name"] == first.name)
        kept_ids = {dc["id"] for dc in dash["dashcards"]}
        specs[0] = dataclasses.replace(first, cards=first.cards[1:])
        push(client, connection, dashboards=specs)
    dash = next(d for d in standin.state.dashboards.values() if d["name"] == first.name)
    assert len(dash["dashcards"]) == len(first.cards) - 1
    assert {dc["id"] for dc in dash["dashcards"]} < kept_ids  # survivors keep their ids
    removed = next(c for c in standin.state.cards.values() if c["name"] == first.cards[0].name)
    assert removed["archived"] is True
    # putting the card back in the specs creates a fresh one (archived cards are not in the collection)
    with _client(standin) as client:
        plan = push(client, connection)
    assert [(a.kind, a.op) for a in plan.changes] == [("card", "create"), ("dashboard", "update")]


def test_database_change_is_pushed_and_password_never_compared(standin, connection, pg_server_url):
    other = create_database(pg_server_url, prefix="mbmove")
    try:
        with _client(standin) as client:
            push(client, connection)
            moved = dataclasses.replace(connection, dbname=conninfo_parts(other)["dbname"])
            plan = push(client, moved)
            assert [(a.kind, a.changed) for a in plan.changes] == [("database", ["details"])]
            assert next(iter(standin.state.databases.values()))["details"]["dbname"] == moved.dbname
            assert push(client, moved).changes == []
    finally:
        drop_database(pg_server_url, other)


def test_wrong_reader_password_is_metabases_reason_in_one_line(standin, connection, reader_login):  # noqa: F811
    if not reader_login.checks_password:
        pytest.skip("this external server does not check the test role's password")
    with _client(standin) as client, pytest.raises(UserError) as error:
        push(client, dataclasses.replace(connection, password="salah"))
    message = str(error.value)
    assert "\n" not in message and message.startswith("Metabase tidak dapat terhubung ke gudang")
    assert "METABASE_READER_" in message
    assert "Looks like your Password is incorrect." in message and "password: check your password" in message
    assert "salah" not in message
    assert standin.state.databases == {} and standin.state.cards == {}


def test_unreachable_warehouse_names_host_and_port(standin, connection):
    with _client(standin) as client, pytest.raises(UserError, match="Host and Port"):
        push(client, dataclasses.replace(connection, host="127.0.0.1", port=9))
    assert standin.state.databases == {}


def test_key_outside_administrators_gets_403_and_the_fix(connection):
    server = StandinServer(API_KEY, non_admin_keys=(ANALYST_KEY,)).start()
    try:
        with _client(server, ANALYST_KEY) as client, pytest.raises(UserError) as error:
            push(client, connection)
        message = str(error.value)
        assert "\n" not in message and message.startswith("API key Metabase tidak berhak (403)")
        assert "API keys dengan grup Administrators" in message and "(POST /api/database)" in message
        assert "You don't have permissions" not in message
        assert ("POST", "/api/database") in server.state.requests and server.state.databases == {}
        with httpx.Client(base_url=server.url, headers={"x-api-key": ANALYST_KEY}) as http:
            for method, path in [
                ("POST", "/api/database"),
                ("PUT", "/api/database/1"),
                ("POST", "/api/database/1/sync_schema"),
                ("GET", "/api/database/1/metadata"),
                ("PUT", "/api/field/1"),
                ("PUT", "/api/table/1"),
            ]:
                r = http.request(method, path, json={})
                assert (r.status_code, r.text) == (403, "You don't have permissions to do that."), path
    finally:
        server.stop()


def test_only_a_root_level_collection_of_that_name_is_ours(standin, connection):
    parent = standin.add_collection("Arsip lama")
    nested = standin.add_collection(COLLECTION_NAME, parent_id=parent["id"])
    personal = standin.add_collection("Koleksi pribadi Budi", personal_owner_id=7)
    in_personal = standin.add_collection(COLLECTION_NAME, parent_id=personal["id"])
    special = standin.add_collection(COLLECTION_NAME, type="instance-analytics")  # Metabase's own, at "/"
    with _client(standin) as client:
        plan = push(client, connection)
        assert ("collection", "create") in [(a.kind, a.op) for a in plan.actions]
        ours = [
            c
            for c in standin.state.collections.values()
            if c["name"] == COLLECTION_NAME and c["location"] == "/" and not c["type"]
        ]
        assert len(ours) == 1
        assert {c["collection_id"] for c in standin.state.cards.values()} == {ours[0]["id"]}
        assert nested["description"] is None and in_personal["description"] is None  # untouched
        assert special["description"] is None and ours[0]["id"] != special["id"]
        assert push(client, connection).changes == []


def test_standin_strips_unknown_keys_and_refuses_wrong_shapes(standin, connection):
    """As Metabase's open malli schemas do: unknown keys are ignored, known ones type-checked."""
    headers = {"x-api-key": API_KEY}
    with httpx.Client(base_url=standin.url, headers=headers) as http:
        r = http.post("/api/collection", json={"name": "x", "colour": "#fff"})
        assert r.status_code == 200 and "colour" not in r.json()
        assert ("collection", "colour") in standin.state.stripped
        r = http.post("/api/collection", json={"name": 5})
        assert (
            r.status_code == 400
            and set(r.json()) == {"errors", "specific-errors"}
            and "name" in r.json()["errors"]
        )
        r = http.post("/api/database", json={"name": "x", "engine": "postgres"})
        assert r.status_code == 400 and "details" in r.json()["errors"]
        with MetabaseClient(standin.url, API_KEY) as client:
            db_id = client.create_database(
                {"name": "x", "engine": "postgres", "details": connection.details()}
            )["id"]
        bad_card = {
            "name": "c",
            "display": "table",
            "visualization_settings": {},
            "dataset_query": {"type": "native", "database": db_id, "native": {"query": "select {{x}}"}},
        }
        r = http.post("/api/card", json=bad_card)
        assert r.status_code == 400 and "template-tags" in r.json()["errors"]
        dash = http.post("/api/dashboard", json={"name": "d"}).json()
        r = http.put(f"/api/dashboard/{dash['id']}", json={"dashcards": [{"id": 5, "card_id": 1}]})
        assert r.status_code == 400
        r = http.put(f"/api/dashboard/{dash['id']}", json={"ordered_cards": []})  # pre-0.47 key: ignored
        assert r.status_code == 200 and "ordered_cards" not in r.json()
        assert http.get("/api/database", headers={"x-api-key": "nope"}).status_code == 401


def test_wrong_api_key_is_one_clear_error(standin, connection):
    with MetabaseClient(standin.url, "wrong") as client, pytest.raises(UserError, match="API key"):
        push(client, connection)


def test_unreachable_metabase_is_one_clear_error():
    with MetabaseClient("http://127.0.0.1:9", API_KEY) as client, pytest.raises(UserError, match="dihubungi"):
        client.databases()


# ---- dbt's documentation onto the synced tables and fields -----------------------------------------


def test_dbt_descriptions_and_semantic_types_reach_metabase_once(warehouse, reader_login):  # noqa: F811
    """Right after the connection is created Metabase is still syncing (two metadata reads show no
    tables): the push asks for a sync, waits, writes dbt's docs; the second push writes nothing."""
    docs = load_manifest(MANIFEST)
    server = StandinServer(API_KEY, sync_delay=2).start()
    naps: list[float] = []
    try:
        with _client(server) as client:
            plan = push(client, reader_login.connection(warehouse.url), docs=docs, sleep=naps.append)
            assert naps and ("POST", "/api/database/1/sync_schema") in server.state.requests
            assert plan.missing == []
            tables = {t["name"]: t for t in server.state.tables.values()}
            fact = tables["fct_allowance_deduction_monthly"]
            model = next(m for m in docs if m.name == "fct_allowance_deduction_monthly")
            assert fact["description"] == model.description and "locked" in fact["description"]
            fields = {f["name"]: f for f in fact["fields"]}
            assert fields["deduction_amount"]["semantic_type"] == "type/Currency"
            assert fields["deduction_amount"]["settings"] == {"currency": "IDR"}
            assert "round-half-up" in fields["deduction_amount"]["description"]
            assert fields["workdays"]["semantic_type"] is None  # nothing declared, nothing set
            opd = {f["name"]: f for f in tables["mart_opd_discipline_monthly"]["fields"]}
            assert opd["nama_opd"]["semantic_type"] == "type/Name"
            assert opd["punctuality_rate"]["semantic_type"] == "type/Percentage"
            updated = [a for a in plan.changes if a.kind in ("table", "field")]
            assert len(updated) >= 12
            writes = len(server.state.writes)
            again = push(client, reader_login.connection(warehouse.url), docs=docs, sleep=naps.append)
        assert again.changes == [] and len(server.state.writes) == writes
        documented = sum(1 + len(m.columns) for m in docs)
        assert sum(a.kind in ("table", "field") and a.op == "unchanged" for a in again.actions) == documented
    finally:
        server.stop()


def test_missing_manifest_says_how_to_make_it(tmp_path: Path):
    with pytest.raises(UserError, match="absensi transform"):
        load_manifest(tmp_path / "manifest.json")


# ---- the command -------------------------------------------------------------------------------------


@pytest.fixture
def reader_env(monkeypatch, reader_login, warehouse):  # noqa: F811
    for name, value in reader_login.env(warehouse.url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("METABASE_API_KEY", API_KEY)


def test_cli_push_dry_run_then_push_then_nothing(standin, reader_env, run_cli, reader_login):  # noqa: F811
    dry = run_cli("dashboards", "push", "--metabase-url", standin.url, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "buat" in dry.stdout and "Peringkat Disiplin OPD" in dry.stdout
    assert standin.state.writes == []
    done = run_cli("dashboards", "push", "--metabase-url", standin.url)
    assert done.exit_code == 0, done.output
    details = standin.state.databases[1]["details"]
    assert (details["user"], details["password"]) == (reader_login.user, reader_login.password)
    assert "perbarui  field" in done.stdout  # dbt's docs went onto the fields
    again = run_cli("dashboards", "push", "--metabase-url", standin.url)
    assert again.exit_code == 0, again.output
    assert "0 dibuat, 0 diperbarui" in again.stdout and "perbarui" not in again.stdout.split("Selesai")[0]
    assert reader_login.password not in again.output


def test_cli_push_without_db_credentials_fails_cleanly(standin, run_cli, monkeypatch):
    monkeypatch.delenv("METABASE_READER_PASSWORD", raising=False)
    result = run_cli("dashboards", "push", "--metabase-url", standin.url, "--api-key", API_KEY)
    assert result.exit_code == 2 and "METABASE_READER_PASSWORD" in result.stderr
    assert standin.state.writes == []
