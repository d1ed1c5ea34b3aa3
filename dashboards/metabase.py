"""A small typed client for the parts of Metabase's REST API that dashboards-as-code needs, coded to
the current release (docker-compose.yml pins it; the facts below were read in Metabase's source).

- Authentication: an API key in the `x-api-key` header. The key's group decides what it may do:
  `POST /api/database`, `PUT /api/database/:id`, the table/field metadata endpoints and
  `POST /api/database/:id/sync_schema` are superuser-only (`api/check-superuser` / `write-check` in
  src/metabase/warehouses_rest/api.clj), so the key must belong to the **Administrators** group; any
  other key gets 403 "You don't have permissions to do that." (metabase.api.common/generic-403).
- Cards: from Metabase 0.57, `GET /api/card/:id` returns `dataset_query` as MBQL 5
  (`{"lib/type": "mbql/query", "database": n, "stages": [{"lib/type": "mbql.stage/native",
  "native": "<sql>", "template-tags": {...}}]}`); `?legacy-mbql=true` still asks for MBQL 4
  (docs/developers-guide/api-changelog.md, "Metabase 0.57.0"). The sync reads whichever shape comes
  back (`dashboards.sync.native_query`), so it needs neither the parameter nor a version check.
- Request bodies are open schemas: Metabase ignores keys it does not know instead of refusing them.
- A failed connection test answers 400 with `{"message": ..., "errors": {field: hint}}`
  (metabase.warehouses.util/test-database-connection; messages from metabase.driver.util).
No maintained Python client covers native cards with template tags and the `dashcards` update, so
this stays a thin layer over httpx that returns the JSON Metabase returns."""

from __future__ import annotations

from typing import Any

import httpx

from warehouse.errors import UserError

Json = dict[str, Any]

ADMIN_HINT = (
    "API key Metabase tidak berhak (403): buat API key di Admin > Settings > Authentication > "
    "API keys dengan grup Administrators"
)


def error_detail(response: httpx.Response) -> str:
    """One line from Metabase's error body: `message` plus its per-field hints, or the raw text."""
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())[:300]
    if isinstance(body, dict):
        message = body.get("message") or ""
        errors = body.get("errors")
        hints = ""
        if isinstance(errors, dict) and errors:
            hints = "; ".join(f"{k}: {v}" for k, v in errors.items())
        elif isinstance(errors, str):
            hints = errors
        return " ".join(" — ".join(p for p in (str(message), hints) if p).split())[:300]
    return " ".join(str(body).split())[:300]


class MetabaseClient:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0) -> None:
        if not base_url:
            raise UserError("URL Metabase kosong: isi --metabase-url atau METABASE_URL")
        if not api_key:
            raise UserError("API key Metabase kosong: isi --api-key atau METABASE_API_KEY")
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"x-api-key": api_key, "content-type": "application/json"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MetabaseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, path: str, *, json: Any = None, params: Any = None) -> Any:
        try:
            response = self._http.request(method, path, json=json, params=params)
        except httpx.HTTPError as exc:
            raise UserError(f"Metabase di {self.base_url} tidak dapat dihubungi: {exc}") from exc
        if response.status_code == 401:
            raise UserError(f"Metabase di {self.base_url} menolak API key (401): periksa METABASE_API_KEY")
        if response.status_code == 403:
            raise UserError(f"{ADMIN_HINT} ({method} {path})")
        if response.status_code >= 400:
            detail = error_detail(response)
            if path.startswith("/api/database") and method in ("POST", "PUT") and response.status_code == 400:
                raise UserError(
                    "Metabase tidak dapat terhubung ke gudang dengan METABASE_WAREHOUSE_* / "
                    f"METABASE_READER_*: {detail}"
                )
            raise UserError(f"Metabase menolak {method} {path}: {response.status_code} {detail}")
        return response.json() if response.content else None

    @staticmethod
    def _data(payload: Any) -> list[Json]:
        # Several list endpoints wrap results as {"data": [...], "total": n}; others return a list.
        return payload["data"] if isinstance(payload, dict) and "data" in payload else payload

    # databases (admin only for every write)
    def databases(self) -> list[Json]:
        return self._data(self._request("GET", "/api/database"))

    def database(self, database_id: int) -> Json:
        return self._request("GET", f"/api/database/{database_id}")

    def create_database(self, payload: Json) -> Json:
        """Metabase tests the connection first and answers 400 with its reason when it fails."""
        return self._request("POST", "/api/database", json=payload)

    def update_database(self, database_id: int, payload: Json) -> Json:
        return self._request("PUT", f"/api/database/{database_id}", json=payload)

    def sync_schema(self, database_id: int) -> None:
        """Ask Metabase to re-read the warehouse's tables and columns (it runs in the background)."""
        self._request("POST", f"/api/database/{database_id}/sync_schema")

    def database_metadata(self, database_id: int) -> Json:
        """Every table and field Metabase knows in the database, hidden ones included."""
        return self._request(
            "GET", f"/api/database/{database_id}/metadata", params={"include_hidden": "true"}
        )

    def update_table(self, table_id: int, payload: Json) -> Json:
        return self._request("PUT", f"/api/table/{table_id}", json=payload)

    def update_field(self, field_id: int, payload: Json) -> Json:
        return self._request("PUT", f"/api/field/{field_id}", json=payload)

    # collections
    def collections(self) -> list[Json]:
        """Every collection the key can read (other users' personal collections left out); the
        first entry is the root ("Our analytics", id "root")."""
        return self._data(
            self._request("GET", "/api/collection", params={"exclude-other-user-collections": "true"})
        )

    def create_collection(self, payload: Json) -> Json:
        return self._request("POST", "/api/collection", json=payload)

    def update_collection(self, collection_id: int, payload: Json) -> Json:
        return self._request("PUT", f"/api/collection/{collection_id}", json=payload)

    def collection_items(self, collection_id: int, models: list[str]) -> list[Json]:
        params = [("models", m) for m in models]
        return self._data(self._request("GET", f"/api/collection/{collection_id}/items", params=params))

    # cards (questions)
    def card(self, card_id: int) -> Json:
        """The card as the current release returns it (MBQL 5 `dataset_query` from 0.57 on)."""
        return self._request("GET", f"/api/card/{card_id}")

    def create_card(self, payload: Json) -> Json:
        return self._request("POST", "/api/card", json=payload)

    def update_card(self, card_id: int, payload: Json) -> Json:
        return self._request("PUT", f"/api/card/{card_id}", json=payload)

    # dashboards
    def dashboard(self, dashboard_id: int) -> Json:
        return self._request("GET", f"/api/dashboard/{dashboard_id}")

    def create_dashboard(self, payload: Json) -> Json:
        return self._request("POST", "/api/dashboard", json=payload)

    def update_dashboard(self, dashboard_id: int, payload: Json) -> Json:
        """One PUT with the full `dashcards` list: new ones carry negative ids, missing ones are removed."""
        return self._request("PUT", f"/api/dashboard/{dashboard_id}", json=payload)
