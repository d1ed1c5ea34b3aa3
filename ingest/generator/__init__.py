"""Synthetic regency generator: reference CSVs, per-device USB attlogs and the exact truth.

`generate(out_dir, employees=..., devices=..., start=..., days=..., seed=...)` writes

- `opd.csv devices.csv employees.csv pins.csv leave.csv` — DESIGN §5 formats, loadable by `absensi load`;
- `attlog/<SN>_attlog.dat` — the USB format (PIN right-aligned with spaces as devices write it);
- `truth.csv` — one row per employee-workday under the rules of dbt/seeds (docs/CONTRACTS.md);
- `truth_monthly.csv` — the monthly deduction per employee; `regency.json` — the run's parameters.

Modules: `rules` (seeds, day and month rules), `regency` (OPDs, devices, people, pins, leave),
`punches` (behaviour profiles and boundary scenarios), `core` (writing and the truth).
"""

from ingest.generator.core import DEFAULT_BASE_PORT, generate

__all__ = ["DEFAULT_BASE_PORT", "generate"]
