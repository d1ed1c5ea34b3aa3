"""Suites as code, one module per layer. Each exposes `build(params) -> list[AssetChecks]`."""

from __future__ import annotations

from expectations.model import AssetChecks
from expectations.params import SuiteParams


def all_suites(params: SuiteParams, suites: tuple[str, ...] | None = None) -> list[AssetChecks]:
    from expectations.suites import marts, operations, raw

    modules = {"raw": raw, "marts": marts, "operations": operations}
    chosen = suites or tuple(modules)
    return [asset for name in chosen for asset in modules[name].build(params)]
