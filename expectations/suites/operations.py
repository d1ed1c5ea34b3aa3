"""Operations: signs that devices or loads need a technician. Warnings: shown, never blocking."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.model import WARNING, AssetChecks, Check
from expectations.params import SuiteParams
from expectations.suites.sql import batch_rows, current_reference, not_retracted

SUITE = "operations"
SILENT_DAYS = 2
MAX_SKEW_SECONDS = 300


def build(p: SuiteParams) -> list[AssetChecks]:
    devices = current_reference(p.raw_schema, "device", "device_sn")
    ingest = p.raw("ingest_batch")
    silent_query = (
        "select b.device_sn, b.name, b.opd_code, last.last_contact from b "
        f"left join lateral (select max(i.finished_at) as last_contact from {ingest} i "
        "where i.device_sn = b.device_sn and i.status = 'ok' and i.kind in ('pull', 'usb', 'push') "
        f"and {not_retracted(p.raw_schema, 'i')}) last on true "
        f"where last.last_contact is null or last.last_contact < now() - interval '{SILENT_DAYS} days' "
        "order by b.device_sn"
    )
    skew_query = (
        "select b.device_sn, b.name, s.batch_id, s.clock_skew_seconds, s.finished_at from b "
        f"join lateral (select i.batch_id, i.clock_skew_seconds, i.finished_at from {ingest} i "
        "where i.device_sn = b.device_sn and i.status = 'ok' and i.clock_skew_seconds is not null "
        f"and {not_retracted(p.raw_schema, 'i')} "
        "order by i.batch_id desc limit 1) s on true "
        f"where abs(s.clock_skew_seconds) > {MAX_SKEW_SECONDS} order by b.device_sn"
    )
    assets = [
        AssetChecks(
            SUITE,
            p.raw("device"),
            f"select * from {devices} d where d.active",
            ("device_sn",),
            (
                Check(
                    "device_silent",
                    f"Mesin aktif tanpa tarikan/impor berhasil lebih dari {SILENT_DAYS} hari",
                    lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(silent_query)),
                    severity=WARNING,
                ),
                Check(
                    "device_clock_skew",
                    f"Jam mesin menyimpang lebih dari {MAX_SKEW_SECONDS // 60} menit (tarikan terakhir)",
                    lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(skew_query)),
                    severity=WARNING,
                ),
            ),
        )
    ]
    if p.quarantine_views:
        counts = " union all ".join(
            f"select '{view}'::text as view_name, count(*)::bigint as row_count from {view}"
            for view in p.quarantine_views
        )
        if p.previous_quarantine:
            previous = ", ".join(f"('{v}', {n}::bigint)" for v, n in sorted(p.previous_quarantine.items()))
            growing_query = (
                "select b.view_name, prev.row_count as previous_count, b.row_count from b "
                f"join (values {previous}) prev (view_name, row_count) on prev.view_name = b.view_name "
                "where b.row_count > prev.row_count order by b.view_name"
            )
        else:  # first run: nothing to compare with
            growing_query = "select b.view_name, b.row_count from b where false"
        assets.append(
            AssetChecks(
                SUITE,
                f"{p.marts_schema}.q_*",
                counts,
                ("view_name",),
                (
                    Check(
                        "quarantine_growing",
                        "Karantina bertambah sejak pemeriksaan sebelumnya",
                        lambda: gxe.UnexpectedRowsExpectation(
                            unexpected_rows_query=batch_rows(growing_query)
                        ),
                        severity=WARNING,
                    ),
                ),
            )
        )
    return assets
