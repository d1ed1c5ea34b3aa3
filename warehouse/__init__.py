"""The ground floor: settings, errors, the database, months, seeds and migrations.

Imports nothing of the project. The parts (`ingest`, `expectations`, `dashboards`) stand on it; the
`absensi` CLI, orchestration and demo stand on the parts (import-linter contracts in pyproject.toml).
"""
