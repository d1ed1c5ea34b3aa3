"""The NIP/NIK validator the reference loader and the generator share."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest.nip import make_nik, make_nip, validate_nip


@pytest.mark.parametrize(
    ("nip", "jenis"),
    [
        ("198507142010011003", "PNS"),
        ("199912312023122001", "CPNS"),
        ("199202292014021001", "PPPK"),  # 29 Feb 1992 exists
        ("1607141701850001", "HONORER"),  # man born 17 Jan 1985
        ("1607145701850001", "HONORER"),  # woman born 17 Jan 1985 (day + 40)
        ("1607142902000001", "HONORER"),  # 29 Feb 2000
    ],
)
def test_valid_numbers(nip: str, jenis: str) -> None:
    assert validate_nip(nip, jenis) is None


@pytest.mark.parametrize(
    ("nip", "jenis", "fragment"),
    [
        ("19850714201001100", "PNS", "18 angka"),
        ("19850714201001100X", "PNS", "18 angka"),
        ("198502302010011003", "PNS", "tanggal lahir"),
        ("199002292014021001", "PPPK", "tanggal lahir"),
        ("198507142010131003", "PNS", "TMT"),
        ("198507142002011003", "PNS", "usia 18"),
        ("198507142010013003", "CPNS", "jenis kelamin"),
        ("198507142010011003", "HONORER", "16 angka"),
        ("1607141301850001", "PNS", "18 angka"),
        ("1607143201850001", "HONORER", "tanggal lahir"),
        ("1607147201850001", "HONORER", "tanggal lahir"),
        ("1607141313850001", "HONORER", "tanggal lahir"),
        ("1607141701850000", "HONORER", "0000"),
        ("0507141701850001", "HONORER", "provinsi"),
        ("198507142010011003", "ASN", "tidak dikenal"),
    ],
)
def test_invalid_numbers_name_the_problem(nip: str, jenis: str, fragment: str) -> None:
    problem = validate_nip(nip, jenis)
    assert problem is not None and fragment in problem


def test_builders_round_trip() -> None:
    nip = make_nip(dt.date(1985, 7, 14), 2010, 1, 1, 3)
    assert nip == "198507142010011003" and validate_nip(nip, "PNS") is None
    nik = make_nik("160714", dt.date(1985, 1, 17), 2, 1)
    assert nik == "1607145701850001" and validate_nip(nik, "HONORER") is None
