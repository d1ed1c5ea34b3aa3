"""Employee identity numbers: the 18-digit NIP of ASN and the 16-digit NIK used for honorer.

NIP (PNS, CPNS, PPPK; BKN format): birth date YYYYMMDD, TMT (first appointment) YYYYMM,
gender 1 (male) or 2 (female), 3-digit serial. Nobody is appointed before 18, so a TMT before the
18th birthday month marks a mistyped number.

NIK (HONORER; Dukcapil format): 6-digit region code (province, regency, district), birth date
DDMMYY with 40 added to the day for women, 4-digit serial (never 0000).

`validate_nip` returns the problem in Bahasa Indonesia (operators read it in the load report) or
None when the number is well formed. The generator builds its numbers with `make_nip`/`make_nik`
and checks them with the same validator.
"""

from __future__ import annotations

import datetime as dt

NIP_TYPES = frozenset({"PNS", "CPNS", "PPPK"})
NIK_TYPES = frozenset({"HONORER"})
JENIS_PEGAWAI = NIP_TYPES | NIK_TYPES

MIN_APPOINTMENT_AGE = 18
MIN_BIRTH_YEAR = 1900


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _nip_problem(nip: str) -> str | None:
    if len(nip) != 18 or not nip.isdigit():
        return f"NIP harus 18 angka, didapat {nip!r}"
    birth = _date_or_none(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    if birth is None or birth.year < MIN_BIRTH_YEAR:
        return f"NIP {nip}: 8 angka pertama bukan tanggal lahir yang sah (YYYYMMDD)"
    tmt_year, tmt_month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= tmt_month <= 12 or tmt_year < MIN_BIRTH_YEAR:
        return f"NIP {nip}: angka 9-14 bukan TMT yang sah (YYYYMM)"
    if (tmt_year, tmt_month) < (birth.year + MIN_APPOINTMENT_AGE, birth.month):
        return f"NIP {nip}: TMT {tmt_year:04d}-{tmt_month:02d} sebelum usia {MIN_APPOINTMENT_AGE} tahun"
    if nip[14] not in "12":
        return f"NIP {nip}: angka ke-15 (jenis kelamin) harus 1 atau 2"
    return None


def _nik_problem(nik: str) -> str | None:
    if len(nik) != 16 or not nik.isdigit():
        return f"NIK honorer harus 16 angka, didapat {nik!r}"
    if not 11 <= int(nik[0:2]) <= 99:
        return f"NIK {nik}: kode provinsi {nik[0:2]} tidak sah"
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40  # women: day + 40
    # Two-digit year: valid if the date exists in either century (29 Feb needs a leap year).
    if _date_or_none(1900 + yy, month, day) is None and _date_or_none(2000 + yy, month, day) is None:
        return f"NIK {nik}: angka 7-12 bukan tanggal lahir yang sah (DDMMYY, hari +40 untuk perempuan)"
    if nik[12:16] == "0000":
        return f"NIK {nik}: nomor urut 0000 tidak sah"
    return None


def validate_nip(nip: str, jenis: str) -> str | None:
    """The problem with `nip` for an employee of type `jenis`, or None when it is well formed."""
    if jenis in NIP_TYPES:
        return _nip_problem(nip)
    if jenis in NIK_TYPES:
        return _nik_problem(nip)
    return f"jenis_pegawai {jenis!r} tidak dikenal (PNS|CPNS|PPPK|HONORER)"


def make_nip(birth: dt.date, tmt_year: int, tmt_month: int, gender: int, serial: int) -> str:
    """An 18-digit NIP; gender 1 = male, 2 = female; serial 1..999."""
    return f"{birth:%Y%m%d}{tmt_year:04d}{tmt_month:02d}{gender:d}{serial:03d}"


def make_nik(region_code: str, birth: dt.date, gender: int, serial: int) -> str:
    """A 16-digit NIK; women get 40 added to the birth day; serial 1..9999."""
    day = birth.day + (40 if gender == 2 else 0)
    return f"{region_code}{day:02d}{birth:%m%y}{serial:04d}"
