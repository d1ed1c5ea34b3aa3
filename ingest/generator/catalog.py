"""Word lists for a believable regency: OPD names, people's names, positions, allowance table."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# fmt: off


@dataclass(frozen=True)
class RegencyProfile:
    code: str
    name: str
    timezone: str
    nik_region: str  # 6-digit Dukcapil code prefix (province + regency + one district)
    kecamatan: tuple[str, ...]
    kelurahan: tuple[str, ...]
    puskesmas: tuple[str, ...]
    family_names: tuple[str, ...]


_OKU = RegencyProfile(
    code="oku",
    name="Kabupaten Ogan Komering Ulu",
    timezone="Asia/Jakarta",
    nik_region="160107",
    kecamatan=(
        "Baturaja Timur", "Baturaja Barat", "Peninjauan", "Lubuk Batang", "Sosoh Buay Rayap",
        "Pengandonan", "Semidang Aji", "Ulu Ogan", "Lengkiti", "Sinar Peninjauan", "Lubuk Raja",
        "Muara Jaya", "Kedaton Peninjauan Raya",
    ),
    kelurahan=(
        "Baturaja Lama", "Sukaraya", "Kemalaraja", "Air Gading", "Sekar Jaya", "Talang Jawa",
        "Sukajadi", "Pasar Baru", "Tanjung Baru", "Batu Kuning", "Baturaja Permai", "Tanjung Agung",
        "Air Paoh", "Sepancar Lawang Kulon", "Saung Naga", "Talang Jawa Selatan",
    ),
    puskesmas=(
        "Sukaraya", "Kemalaraja", "Tanjung Agung", "Pengandonan", "Peninjauan", "Lubuk Batang",
        "Batumarta II", "Baturaja", "Tanjung Baru", "Sekar Jaya", "Air Wangi", "Mendingin",
        "Kedaton", "Lengkiti", "Semidang Aji", "Ulak Baru", "Muara Jaya", "Pusar",
    ),
    family_names=(
        "Saputra", "Pratama", "Wijaya", "Hidayat", "Kurniawan", "Setiawan", "Rahmawati", "Lestari",
        "Susanti", "Febriani", "Yulianti", "Anggraini", "Firmansyah", "Ramadhan", "Syahputra",
        "Kusuma", "Purnama", "Marlina", "Herawati", "Suryadi", "Zulkarnain", "Hasibuan", "Rusdi",
        "Efendi", "Harahap", "Novitasari", "Handayani", "Apriyani", "Mardiana", "Ma'ruf",
    ),
)

_HSU = RegencyProfile(
    code="hsu",
    name="Kabupaten Hulu Sungai Utara",
    timezone="Asia/Makassar",
    nik_region="630801",
    kecamatan=(
        "Amuntai Tengah", "Amuntai Selatan", "Amuntai Utara", "Banjang", "Babirik", "Danau Panggang",
        "Paminggir", "Sungai Pandan", "Sungai Tabukan", "Haur Gading",
    ),
    kelurahan=("Antasari", "Sungai Malang", "Paliwara", "Murung Sari", "Kebun Sari"),
    puskesmas=(
        "Amuntai Selatan", "Pekapuran", "Sungai Malang", "Alabio", "Babirik", "Danau Panggang",
        "Paminggir", "Haur Gading", "Banjang", "Sungai Turak", "Guntung", "Amuntai",
        "Sungai Karias",
    ),
    family_names=(
        "Rahman", "Noor", "Fauzi", "Rahmah", "Hasanah", "Mahmud", "Jamaluddin", "Maulida",
        "Rusdiansyah", "Fitriani", "Arsyad", "Syarifuddin", "Mulyani", "Hidayatullah", "Zainuddin",
        "Aulia", "Anshari", "Norhayati", "Rijali", "Saufi", "Munawwarah", "Ma'ruf", "Yusran",
        "Hamidah", "Riduan", "Basri", "Jannah", "Khairunnisa",
    ),
)

# An EXAMPLE regency paying TPP 40/60 (issue 20; seed regency_profiles `tpp`): OKU's places and
# names, a made-up name, so no one mistakes the example Perbup for a real regency's law.
_TPP = dataclasses.replace(_OKU, code="tpp", name="Kabupaten Contoh TPP")

# The generator's --regency is also the regency profile (seed regency_profiles) its truth uses.
REGENCIES: dict[str, RegencyProfile] = {"oku": _OKU, "hsu": _HSU, "tpp": _TPP}

MALE_FIRST = (
    "Muhammad", "Ahmad", "Budi", "Agus", "Dedi", "Eko", "Hendra", "Irwan", "Joko", "Rizki", "Fajar",
    "Dimas", "Yusuf", "Andi", "Arief", "Bambang", "Rudi", "Sugeng", "Taufik", "Wahyu", "Hadi",
    "Iqbal", "Syamsul", "Abdul", "Zainal", "Fikri", "Nanang", "Heri", "Darmawan", "Rahmat",
)
FEMALE_FIRST = (
    "Siti", "Dewi", "Sri", "Nur", "Rina", "Yuni", "Ayu", "Putri", "Fitri", "Indah", "Wulan", "Lina",
    "Ratna", "Dian", "Novi", "Eka", "Mega", "Rahma", "Nurul", "Annisa", "Desi", "Yulia", "Kartika",
    "Lestiani", "Maya", "Aisyah", "Hj. Siti", "Winda", "Tuti", "Rosmiati",
)
DEGREES = ("S.Pd.", "S.E.", "S.Sos.", "S.H.", "S.Kom.", "S.AP.", "S.IP.", "M.Si.", "S.T.", "S.Ak.", "M.M.")
HEALTH_DEGREES = ("A.Md.Kep.", "A.Md.Keb.", "S.Kep., Ns.", "S.KM.", "A.Md.Farm.", "S.Farm., Apt.")

# (name, jenis_opd, weight for headcount); Setda/Setwan and the dinas/badan come first so that even
# a tiny regency has every jenis_opd (see regency.build_opds).
DINAS = (
    "Dinas Pendidikan dan Kebudayaan", "Dinas Kesehatan", "Dinas Pekerjaan Umum dan Penataan Ruang",
    "Dinas Sosial", "Dinas Kependudukan dan Pencatatan Sipil", "Dinas Komunikasi dan Informatika",
    "Dinas Perhubungan", "Dinas Lingkungan Hidup", "Dinas Pertanian", "Dinas Perikanan",
    "Dinas Pemberdayaan Masyarakat dan Desa", "Dinas Koperasi, Usaha Kecil dan Menengah",
    "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", "Dinas Pariwisata, Pemuda dan Olahraga",
    "Dinas Perpustakaan dan Kearsipan", "Dinas Perdagangan dan Perindustrian",
    "Dinas Ketahanan Pangan", "Dinas Tenaga Kerja dan Transmigrasi",
    "Dinas Perumahan Rakyat dan Kawasan Permukiman",
)
BADAN = (
    "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", "Badan Pengelolaan Keuangan dan Aset Daerah",
    "Badan Perencanaan Pembangunan Daerah", "Inspektorat Daerah", "Badan Pendapatan Daerah",
    "Badan Penanggulangan Bencana Daerah", "Badan Kesatuan Bangsa dan Politik",
)

HEADCOUNT_WEIGHT = {
    "SETDA": 8, "SETWAN": 4, "DINAS": 5, "BADAN": 4, "KECAMATAN": 3, "KELURAHAN": 2, "PUSKESMAS": 4,
}

# Positions by jenis_opd: (jabatan, kelas_jabatan); the first is the head of the unit.
JABATAN = {
    "SETDA": (("Sekretaris Daerah", 15), ("Asisten Pemerintahan dan Kesra", 14), ("Kepala Bagian Umum", 12),
              ("Analis Kebijakan", 9), ("Pranata Komputer Ahli Pertama", 8), ("Pengadministrasi Umum", 5)),
    "SETWAN": (("Sekretaris DPRD", 14), ("Kepala Bagian Persidangan", 12), ("Analis Protokol", 8),
               ("Pengadministrasi Keuangan", 6), ("Pengemudi", 3)),
    "DINAS": (("Kepala Dinas", 14), ("Sekretaris Dinas", 12), ("Kepala Bidang", 11), ("Kepala Seksi", 9),
              ("Analis Perencanaan", 8), ("Pengelola Data", 6), ("Pengadministrasi Umum", 5)),
    "BADAN": (("Kepala Badan", 14), ("Sekretaris Badan", 12), ("Kepala Bidang", 11),
               ("Analis Kepegawaian Ahli Muda", 9), ("Auditor Ahli Pertama", 8), ("Bendahara", 6)),
    "KECAMATAN": (("Camat", 12), ("Sekretaris Camat", 10), ("Kepala Seksi Pemerintahan", 9),
                  ("Pengadministrasi Kependudukan", 5), ("Pengemudi", 3)),
    "KELURAHAN": (("Lurah", 10), ("Sekretaris Lurah", 8), ("Kepala Seksi Pelayanan", 8),
                  ("Pengadministrasi Umum", 5)),
    "PUSKESMAS": (("Kepala Puskesmas", 11), ("Dokter Ahli Pertama", 9), ("Perawat Terampil", 7),
                  ("Bidan Terampil", 7), ("Apoteker Ahli Pertama", 8), ("Sanitarian Terampil", 6),
                  ("Pengadministrasi Kesehatan", 5)),
}
HONORER_JABATAN = (
    ("Tenaga Kebersihan", 1), ("Pengemudi", 1), ("Operator Komputer", 2), ("Petugas Keamanan", 1),
    ("Tenaga Administrasi", 2), ("Tenaga Kesehatan Kontrak", 3),
)

# Monthly tukin base by kelas_jabatan (whole rupiah). Odd thousands on purpose: they make
# round-half-up cases (x.5 rupiah) appear in real months.
TUNJANGAN_BY_KELAS = {
    1: 1_512_350, 2: 1_687_550, 3: 1_968_750, 4: 2_235_150, 5: 2_531_250, 6: 2_868_750, 7: 3_262_350,
    8: 3_712_550, 9: 4_235_150, 10: 4_837_550, 11: 5_531_250, 12: 6_318_750, 13: 7_237_350,
    14: 8_287_550, 15: 9_490_050, 16: 10_875_150, 17: 12_000_000,
}

GOLONGAN_PNS = ("II/a", "II/b", "II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b", "IV/c")
GOLONGAN_PPPK = ("V", "VII", "IX", "X", "XI")

DEVICE_MODELS = (("CKJG", "X100-C"), ("BOCK", "MB20"), ("AF6P", "iClock 680"), ("CGKK", "SpeedFace V5L"))
# fmt: on
