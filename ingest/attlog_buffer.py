"""A device's raw ATTLOG buffer -> COPY text for raw.device_punch, vectorised with numpy.

pyzk 0.9's get_attendance() re-slices the whole buffer for every record (quadratic: seconds for
100,000 records). A Python loop over `struct.iter_unpack` is linear but still spends ~2.5 µs per
record building strings. Here every record field is decoded at once: the few distinct values of
each field (PINs, days, verify/state/work-code combinations) are formatted once in Python, and each
record's line is assembled from those pieces as a byte matrix; then the zero padding is dropped.

A device can log the same (PIN, time) twice; the natural key keeps the first occurrence only, so
the text holds each key once, ordered by time and then PIN text.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

import numpy as np

from ingest import zk_protocol as zp
from ingest.raw_loader import copy_escape

# Record layouts as devices send them (ingest/zk_protocol.py says where each is documented),
# little-endian. The 8-byte one is NOT pyzk 0.9's: real ZEM500-era records carry the time from byte 4
# (pyzk #99 and #56 quote such bytes); read from byte 3 they decode to dates around 2087.
_LAYOUTS = {
    8: np.dtype([("uid", "<u2"), ("verify_state", "u1"), ("_reserved", "u1"), ("stamp", "<u4")]),
    16: np.dtype(
        [
            ("pin_no", "<u4"),
            ("stamp", "<u4"),
            ("verify", "u1"),
            ("state", "u1"),
            ("_pad", "V2"),
            ("work", "<u4"),
        ]
    ),
    40: np.dtype(
        [
            ("uid", "<u2"),
            ("pin", "S24"),
            ("verify", "u1"),
            ("stamp", "<u4"),
            ("state", "u1"),
            ("work", "<u4"),
            ("_pad", "V4"),
        ]
    ),
}
assert all(dtype.itemsize == size for size, dtype in _LAYOUTS.items())

_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


class AttlogError(ValueError):
    """The buffer cannot be trusted: `short` says whether reading it again may help."""

    def __init__(self, message: str, *, short: bool = False):
        super().__init__(message)
        self.short = short


def attlog_copy_text(data: bytes, records: int, uid_to_pin: Mapping[int, str]) -> bytes:
    """COPY text (raw_loader.PUNCH_COLUMNS order) of a raw ATTLOG buffer (`u32 size` + records).

    The record size follows from the announced size and the record count, as pyzk decides it. A
    buffer whose sizes disagree raises AttlogError(short=True); a time naming no real day or an
    empty PIN raises AttlogError.
    """
    if len(data) < 4:
        raise AttlogError(f"data absensi terlalu pendek ({len(data)} byte)", short=True)
    (total,) = struct.unpack_from("<I", data)
    if total != len(data) - 4:
        raise AttlogError(
            f"data absensi tidak lengkap: diumumkan {total} byte, diterima {len(data) - 4}", short=True
        )
    if records <= 0 or total % records or total // records not in zp.ATT_FORMATS:
        raise AttlogError(f"ukuran catatan tidak dikenal: {total} byte untuk {records} catatan", short=True)
    size = total // records
    rows = np.frombuffer(data, dtype=_LAYOUTS[size], offset=4)

    pin_text, pin_index = _pins(rows, size, uid_to_pin)
    stamps = rows["stamp"].astype(np.int64)
    order = _key_order(pin_index, stamps, len(pin_text))
    rows, pin_index, stamps = rows[order], pin_index[order], stamps[order]

    tails = _tails(*_verify_state_work(rows, size))
    pieces = [
        _vocabulary_columns([copy_escape(pin) + "\t" for pin in pin_text], pin_index),
        _date_columns(stamps // 86400),
        _clock_columns(stamps % 86400),
        _vocabulary_columns(*tails),
    ]
    matrix = np.hstack(pieces)
    flat = matrix.ravel()
    return flat[flat != 0].tobytes()  # zero is only padding: no COPY text contains a NUL


def _pins(rows: np.ndarray, size: int, uid_to_pin: Mapping[int, str]) -> tuple[list[str], np.ndarray]:
    """The distinct PIN texts and, per record, the index of its PIN text."""
    if size == 40:
        raw, inverse = np.unique(rows["pin"], return_inverse=True)
        texts = [_pin_from_field(value) for value in raw.tolist()]
    elif size == 16:
        raw, inverse = np.unique(rows["pin_no"], return_inverse=True)
        texts = [str(value) for value in raw.tolist()]
    else:  # 8-byte records carry the uid only: the user's PIN, else the uid itself (as pyzk)
        raw, inverse = np.unique(rows["uid"], return_inverse=True)
        texts = [uid_to_pin.get(value) or str(value) for value in raw.tolist()]
    # Different raw fields can decode to the same PIN text (bytes after the NUL): one key each.
    # Numbered in text order, so that sorting by number sorts by PIN text.
    distinct = sorted(set(texts))
    position = {text: i for i, text in enumerate(distinct)}
    remap = np.array([position[text] for text in texts], dtype=np.int64)
    return distinct, remap[inverse.ravel()]


def _pin_from_field(value: bytes) -> str:
    pin = value.split(b"\x00", 1)[0].decode("utf-8", errors="replace")
    if not pin:
        raise AttlogError("catatan absensi tanpa PIN")
    return pin


def _key_order(pin_index: np.ndarray, stamps: np.ndarray, pins: int) -> np.ndarray:
    """Positions of the first record of each (time, PIN), in that order.

    Time order is the order of raw.device_punch's time index and unique key (device_sn,
    punch_local, device_pin): COPY then appends to their right edge instead of jumping between
    leaf pages for every row.
    """
    keys = stamps * pins + pin_index
    _unique, first = np.unique(keys, return_index=True)  # sorted keys, first occurrence of each
    return first


def _verify_state_work(rows: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Per record: verify type, punch state and work code (None: the layout has no work code)."""
    if size == 8:  # one byte: verify in the low nibble, state in the high one (pyzk #99)
        packed = rows["verify_state"]
        return packed & 0x0F, packed >> 4, None
    return rows["verify"], rows["state"], rows["work"]


def _tails(verify: np.ndarray, state: np.ndarray, work: np.ndarray | None) -> tuple[list[str], np.ndarray]:
    """'\\tverify\\tstate\\twork_code\\n' texts and each record's index among them."""
    work_codes = work.astype(np.uint64) if work is not None else np.zeros(len(verify), dtype=np.uint64)
    keys = verify.astype(np.uint64) | (state.astype(np.uint64) << 8) | (work_codes << 16)
    distinct, inverse = np.unique(keys, return_inverse=True)
    texts = []
    for key in distinct.tolist():
        work_code = "\\N" if work is None else str(key >> 16)  # 8-byte records have no work code
        texts.append(f"\t{key & 0xFF}\t{(key >> 8) & 0xFF}\t{work_code}\n")
    return texts, inverse.ravel()


def _vocabulary_columns(texts: list[str], index: np.ndarray) -> np.ndarray:
    """Per record, its text (already COPY text) as a zero-padded byte row."""
    encoded = [t.encode() for t in texts]
    width = max(len(e) for e in encoded)
    table = np.zeros((len(encoded), width), dtype=np.uint8)
    for i, e in enumerate(encoded):
        table[i, : len(e)] = np.frombuffer(e, dtype=np.uint8)
    return table[index]


def _date_columns(days: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD ' per record; ZK day numbers naming no real day (a 31 April) raise AttlogError."""
    distinct, inverse = np.unique(days, return_inverse=True)
    texts = []
    for day in distinct.tolist():
        try:
            texts.append(zp.decode_time_text(day * 86400)[:11])
        except ValueError as exc:
            raise AttlogError(f"data absensi rusak: {exc}") from exc
    return _vocabulary_columns(texts, inverse.ravel())


def _clock_columns(seconds: np.ndarray) -> np.ndarray:
    """'HH:MM:SS' per record, digit by digit."""
    out = np.full((len(seconds), 8), ord(":"), dtype=np.uint8)
    for column, value in ((0, seconds // 3600), (3, seconds // 60 % 60), (6, seconds % 60)):
        out[:, column] = _DIGITS[value // 10]
        out[:, column + 1] = _DIGITS[value % 10]
    return out
