"""Raw layer: what devices and reference exports delivered is usable and traceable."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.model import AssetChecks, Check
from expectations.params import SuiteParams
from expectations.suites.sql import RETRACT_HINT, batch_rows, current_reference, not_retracted

SUITE = "raw"


def build(p: SuiteParams) -> list[AssetChecks]:
    punch, batch = p.raw("device_punch"), p.raw("ingest_batch")
    devices = current_reference(p.raw_schema, "device", "device_sn")
    not_quarantined = ""
    if p.clock_quarantine_view:
        not_quarantined = (
            f" and not exists (select 1 from {p.clock_quarantine_view} q where q.device_sn = b.device_sn"
            " and q.device_pin = b.device_pin and q.punch_local = b.punch_local)"
        )
    punch_range_query = (
        "select b.device_sn, b.device_pin, b.punch_local, b.batch_id from b "
        f"where (b.punch_local < date '{p.min_punch_date.isoformat()}' "
        f"or b.punch_local > (now() at time zone '{p.timezone}') + interval '1 day')"
        f"{not_quarantined} order by b.device_sn, b.punch_local"
    )
    # One row per blocking batch, naming the way out: register the device, or retract the batch.
    unregistered_query = (
        "select b.device_sn, b.batch_id, count(*) as punches, min(b.punch_local) as first_punch, "
        "max(b.punch_local) as last_punch, "
        "format('absensi batch retract %s --reason \"…\"', b.batch_id) as perintah from b "
        f"where not exists (select 1 from {devices} d where d.device_sn = b.device_sn) "
        "group by b.device_sn, b.batch_id order by b.device_sn, b.batch_id"
    )
    blank_pin_query = (
        "select b.device_sn, b.device_pin, b.punch_local, b.batch_id from b "
        "where btrim(coalesce(b.device_pin, '')) = '' or btrim(coalesce(b.device_sn, '')) = '' "
        "order by b.batch_id"
    )
    return [
        AssetChecks(
            SUITE,
            punch,
            # punches of retracted batches no longer count (`absensi batch retract`)
            f"select * from {punch} p where {not_retracted(p.raw_schema, 'p')}",
            ("device_sn", "device_pin", "punch_local"),
            (
                Check(
                    "punch_pin_and_serial_not_blank",
                    "Setiap punch punya PIN dan nomor seri mesin (tidak null, tidak kosong)",
                    lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=batch_rows(blank_pin_query)),
                ),
                Check(
                    "punch_time_in_range_or_quarantined",
                    f"Jam punch antara {p.min_punch_date} dan besok, atau tercatat di karantina",
                    lambda: gxe.UnexpectedRowsExpectation(
                        unexpected_rows_query=batch_rows(punch_range_query)
                    ),
                ),
                Check(
                    "punch_device_registered",
                    "Setiap punch berasal dari mesin yang terdaftar di raw.device; untuk batch yang "
                    "salah nomor seri: daftarkan mesinnya (`absensi load devices`) atau tarik batch itu "
                    f"(`{RETRACT_HINT}`)",
                    lambda: gxe.UnexpectedRowsExpectation(
                        unexpected_rows_query=batch_rows(unregistered_query)
                    ),
                ),
            ),
        ),
        AssetChecks(
            SUITE,
            batch,
            f"select * from {batch}",
            ("batch_id", "kind", "device_sn"),
            (
                Check(
                    "batch_new_not_above_read",
                    "Batch impor: records_new tidak melebihi records_read",
                    lambda: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A="records_read", column_B="records_new", or_equal=True
                    ),
                ),
            ),
        ),
    ]
