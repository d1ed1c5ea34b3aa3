"""A small typed client for the parts of Metabase's REST API (v0.50+) that dashboards-as-code needs.

Authentication is an API key in the `x-api-key` header (Admin > Settings > Authentication > API keys).
No maintained Python client covers native cards with template tags and the v0.50 `dashcards` update,
so this stays a thin layer over httpx that returns the JSON Metabase returns."""

from __future__ import annotations

from typing import Any

import httpx

from warehouse.errors import UserError

Json = dict[str, Any]


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
        if response.status_code >= 400:
            detail = response.text.strip().replace("\n", " ")[:300]
            raise UserError(f"Metabase menolak {method} {path}: {response.status_code} {detail}")
        return response.json() if response.content else None

    @staticmethod
    def _data(payload: Any) -> list[Json]:
        # Several list endpoints wrap results as {"data": [...], "total": n}; older ones return a list.
        return payload["data"] if isinstance(payload, dict) and "data" in payload else payload

    # databases
    def databases(self) -> list[Json]:
        return self._data(self._request("GET", "/api/database"))

    def database(self, database_id: int) -> Json:
        return self._request("GET", f"/api/database/{database_id}")

    def create_database(self, payload: Json) -> Json:
        return self._request("POST", "/api/database", json=payload)

    def update_database(self, database_id: int, payload: Json) -> Json:
        return self._request("PUT", f"/api/database/{database_id}", json=payload)

    # collections
    def collections(self) -> list[Json]:
        return self._data(self._request("GET", "/api/collection"))

    def create_collection(self, payload: Json) -> Json:
        return self._request("POST", "/api/collection", json=payload)

    def update_collection(self, collection_id: int, payload: Json) -> Json:
        return self._request("PUT", f"/api/collection/{collection_id}", json=payload)

    def collection_items(self, collection_id: int, models: list[str]) -> list[Json]:
        params = [("models", m) for m in models]
        return self._data(self._request("GET", f"/api/collection/{collection_id}/items", params=params))

    # cards (questions)
    def card(self, card_id: int) -> Json:
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
