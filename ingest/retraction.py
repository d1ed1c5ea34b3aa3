"""Batch retraction: a wrong batch stops counting without deleting anything (raw stays append-only).

`retract_batch` appends one row to raw.batch_retraction (who, when, why). From then on staging and
every model leave the batch's punches and reference rows out; the next transform recomputes the days
it touched, and days of a locked month come back as adjustments (fct_allowance_adjustment), never as
a change to what was paid. A batch is retracted once; a retraction is not undone (load a corrected
file instead).

Punches keep their natural key in raw: a retracted punch cannot be loaded again under the same
device serial, PIN and time. Retract a wrong *import*, not a device's own pull.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import psycopg

from warehouse.errors import UserError

MIN_REASON_CHARS = 10
PUNCH_KINDS = ("pull", "usb", "push")

# The one definition of a batch that counts, for SQL written outside dbt (registry, gate, loaders).
COUNTED_BATCH = (
    "status = 'ok' and not exists (select 1 from raw.batch_retraction r where r.batch_id = {alias}.batch_id)"
)


@dataclass(frozen=True)
class Retraction:
    retraction_id: int
    batch_id: int
    kind: str
    device_sn: str | None
    source_file: str | None
    records_new: int
    reason: str
    retracted_at: datetime
    retracted_by: str
    requested_by: str | None
    punch_months: tuple[date, ...]  # months of the batch's punches
    locked_months: tuple[date, ...]  # ... of them (or, for a reference batch, any) already locked


@dataclass(frozen=True)
class BatchRow:
    batch_id: int
    kind: str
    device_sn: str | None
    source_file: str | None
    status: str
    finished_at: datetime
    records_read: int
    records_new: int
    forced_serial: str | None
    error: str | None
    retracted_at: datetime | None
    retracted_by: str | None
    retraction_requested_by: str | None
    retraction_reason: str | None


def retract_batch(
    conn: psycopg.Connection, batch_id: int, reason: str, *, requested_by: str | None = None
) -> Retraction:
    """Retract one `ok` batch (committed). UserError, in one line, when the batch does not exist,
    failed (nothing of it counts), is already retracted, or the reason is too short."""
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON_CHARS:
        raise UserError(
            f"batch {batch_id}: alasan penarikan wajib diisi (--reason, minimal {MIN_REASON_CHARS} huruf), "
            'mis. --reason "salah nomor seri saat impor USB"'
        )
    with conn.transaction():
        row = conn.execute(
            "select kind, device_sn, source_file, status, records_new, error from raw.ingest_batch"
            " where batch_id = %s for share",
            (batch_id,),
        ).fetchone()
        if row is None:
            raise UserError(f"batch {batch_id} tidak ada (lihat `absensi batch list`)")
        kind, device_sn, source_file, status, records_new, error = row
        if status != "ok":
            raise UserError(
                f"batch {batch_id} gagal dimuat ({(error or '').splitlines()[0][:120] if error else 'tanpa keterangan'}): "
                "tidak ada isinya yang dihitung, tidak perlu ditarik"
            )
        earlier = conn.execute(
            "select retracted_at, retracted_by, reason from raw.batch_retraction where batch_id = %s",
            (batch_id,),
        ).fetchone()
        if earlier is not None:
            at, by, why = earlier
            raise UserError(f"batch {batch_id} sudah ditarik pada {at:%Y-%m-%d %H:%M} oleh {by}: {why}")
        retraction_id, retracted_at, retracted_by = conn.execute(
            "insert into raw.batch_retraction (batch_id, reason, requested_by) values (%s, %s, %s)"
            " returning retraction_id, retracted_at, retracted_by",
            (batch_id, reason, requested_by),
        ).fetchone()  # type: ignore[misc]  # one row by construction
        if kind in PUNCH_KINDS:
            months = tuple(
                r[0]
                for r in conn.execute(
                    "select distinct date_trunc('month', punch_local)::date from raw.device_punch"
                    " where batch_id = %s order by 1",
                    (batch_id,),
                )
            )
            locked = tuple(
                r[0]
                for r in conn.execute(
                    "select month from ops.month_lock where month = any(%s) order by 1", (list(months),)
                )
            )
        else:  # a reference batch can change any day of anyone it names
            months = ()
            locked = tuple(r[0] for r in conn.execute("select month from ops.month_lock order by 1"))
    return Retraction(
        retraction_id=retraction_id,
        batch_id=batch_id,
        kind=kind,
        device_sn=device_sn,
        source_file=source_file,
        records_new=records_new,
        reason=reason,
        retracted_at=retracted_at,
        retracted_by=retracted_by,
        requested_by=requested_by,
        punch_months=months,
        locked_months=locked,
    )


def list_batches(
    conn: psycopg.Connection, *, device_sn: str | None = None, limit: int = 20
) -> list[BatchRow]:
    """The newest batches (of one device when given), with their retraction if any."""
    rows = conn.execute(
        """select b.batch_id, b.kind, b.device_sn, b.source_file, b.status, b.finished_at, b.records_read,
                  b.records_new, b.forced_serial, b.error, r.retracted_at, r.retracted_by, r.requested_by, r.reason
             from raw.ingest_batch b
             left join raw.batch_retraction r on r.batch_id = b.batch_id
            where %(sn)s::text is null or b.device_sn = %(sn)s
            order by b.batch_id desc
            limit %(limit)s""",
        {"sn": device_sn, "limit": limit},
    ).fetchall()
    return [BatchRow(*row) for row in rows]
