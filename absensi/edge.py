"""Where a run meets the world. A CLI command, a DAG task or the demo resolves the settings and the
warehouse URL here, once, and passes them down; nothing below reads the environment or starts a
database server."""

from __future__ import annotations

from dataclasses import dataclass

from warehouse import settings as settings_module
from warehouse.embedded import resolve_url
from warehouse.settings import Settings


@dataclass(frozen=True)
class Edge:
    settings: Settings
    url: str  # the warehouse every step of this run uses

    @property
    def timezone(self) -> str:
        return self.settings.timezone


def resolve(settings: Settings | None = None) -> Edge:
    """The settings in force (the environment unless given) and the warehouse URL: the external
    server, or the embedded one, started if needed."""
    settings = settings or settings_module.load()
    return Edge(settings, resolve_url(settings))
