"""Metabase native-query templates (`{{tag}}` variables, `[[ optional ]]` clauses) turned into
parameterised SQL for psycopg, so the offline render, the report and the tests run exactly the SQL
that Metabase runs, with the same rule: an optional clause whose variable has no value disappears."""

from __future__ import annotations

import re
from typing import Any

TAG_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
OPTIONAL_RE = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)


def template_tags(sql: str) -> list[str]:
    """Tag names in order of first appearance."""
    seen: list[str] = []
    for name in TAG_RE.findall(sql):
        if name not in seen:
            seen.append(name)
    return seen


def required_tags(sql: str) -> set[str]:
    """Tags used outside any optional clause (Metabase cannot run the query without them)."""
    return set(TAG_RE.findall(OPTIONAL_RE.sub("", sql)))


def to_psycopg(sql: str, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(query, params) for psycopg. Values that are None or absent drop their optional clauses."""
    given = {k: v for k, v in values.items() if v is not None and v != ""}

    def keep_optional(match: re.Match[str]) -> str:
        inner = match.group(1)
        return inner if all(name in given for name in TAG_RE.findall(inner)) else ""

    expanded = OPTIONAL_RE.sub(keep_optional, sql)
    missing = sorted(set(TAG_RE.findall(expanded)) - set(given))
    if missing:
        raise ValueError(f"nilai filter wajib tidak diisi: {', '.join(missing)}")
    # psycopg reads % as a placeholder marker: escape literal ones before adding ours.
    escaped = expanded.replace("%", "%%")
    query = TAG_RE.sub(lambda m: f"%({m.group(1)})s", escaped)
    used = set(TAG_RE.findall(expanded))
    return query, {k: v for k, v in given.items() if k in used}
