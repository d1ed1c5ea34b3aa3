"""Human labels (Bahasa Indonesia) for the result columns of the dashboard cards: one table, used by
the offline render (table headers, chart axes and legends) and by the Metabase cards (column titles,
series names). The spec loader refuses a card whose displayed column has no label here."""

from __future__ import annotations

import re

LABELS: dict[str, str] = {
    # discipline
    "tingkat_kehadiran": "Tingkat kehadiran (%)",
    "tingkat_tepat_waktu": "Tingkat tepat waktu (%)",
    "peringkat": "Peringkat",
    "peringkat_di_opd": "Peringkat di OPD",
    "jumlah_pegawai": "Jumlah pegawai",
    "hari_hadir": "Hari hadir",
    "hari_tk": "Hari TK (tanpa keterangan)",
    "hari_tepat_waktu": "Hari tepat waktu",
    "hari_terlambat": "Hari terlambat (TL)",
    "hari_pulang_cepat": "Hari pulang cepat (PSW)",
    # corrections (issue 15, Koreksi & Izin)
    "disetujui": "Disetujui",
    "ditolak": "Ditolak",
    "diajukan": "Diajukan (belum diputuskan)",
    "selisih_potongan_rp": "Selisih potongan (Rp, sesudah − sebelum)",
    "penyetuju": "Penyetuju",
    "jumlah_disetujui": "Koreksi disetujui",
    "jumlah_koreksi": "Jumlah koreksi",
    # people and OPDs
    "kode_opd": "Kode OPD",
    "nama_opd": "OPD",
    "nip": "NIP",
    "nama": "Nama",
    # daily attendance
    "tanggal": "Tanggal",
    "hadir": "Hadir",
    "belum_absen": "Belum absen (hari belum selesai)",
    "menunggu_data_mesin": "Menunggu data mesin",
    "status_hari": "Status hari ini",
    "kelengkapan_data": "Kelengkapan data",
    "hari_menunggu": "Hari MENUNGGU",
    "tk": "TK (tanpa keterangan)",
    "izin_cuti_sakit_dl": "Cuti/sakit/izin/DL/TB",
    "terlambat": "Terlambat (TL)",
    "cuti": "Cuti",
    "sakit": "Sakit",
    "izin": "Izin",
    "dinas_luar": "Dinas luar (DL)",
    "tugas_belajar": "Tugas belajar (TB)",
    "jadwal_masuk": "Jadwal masuk",
    "shift": "Shift",
    "keterangan": "Keterangan",
    # allowance
    "total_potongan": "Total potongan (Rp)",
    "total_dibayar": "Total dibayar (Rp)",
    "total_tunjangan": "Total tunjangan pokok (Rp)",
    "status_bulan": "Status bulan",
    "tunjangan_pokok": "Tunjangan pokok (Rp)",
    "hari_kerja": "Hari kerja",
    "hari_cuti_izin": "Hari cuti/izin",
    "persen_potongan": "Potongan (%)",
    "potongan": "Potongan (Rp)",
    "diterima": "Diterima (Rp)",
    "terkunci": "Terkunci (FINAL)",
    "bulan_dikoreksi": "Bulan dikoreksi",
    "potongan_terkunci": "Potongan terkunci (Rp)",
    "potongan_koreksi": "Potongan koreksi (Rp)",
    "penyesuaian": "Penyesuaian (Rp)",
    "alasan": "Alasan",
    # sanctions
    "sanksi": "Sanksi",
    "hari_tk_kumulatif": "Hari TK kumulatif",
    "sampai_bulan": "Sampai bulan",
    "tingkat": "Tingkat",
    "kategori": "Kategori",
    # devices
    "device_sn": "Nomor seri mesin",
    "nama_mesin": "Nama mesin",
    "mesin": "Mesin",
    "cara": "Cara baca",
    "terakhir_berhasil": "Terakhir berhasil dibaca",
    "terakhir_terdengar": "Terakhir terdengar",
    "selisih_jam_detik": "Selisih jam (detik)",
    "isi_log_persen": "Isi log (%)",
    "hari_senyap": "Hari senyap",
    "batch_ditarik": "Batch ditarik",
    "status": "Status",
    "jenis_karantina": "Jenis karantina",
    "jumlah": "Jumlah",
    "batch": "Batch",
    "jenis": "Jenis",
    "berkas": "Berkas",
    "catatan_baru": "Catatan baru",
    "ditarik_pada": "Ditarik pada",
    "ditarik_oleh": "Ditarik oleh",
}

_MACHINE_NAME = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$|^[a-z0-9]+$")


def label(column: str) -> str:
    """The human label of a card's result column (the column name itself when there is none)."""
    return LABELS.get(column, column)


def is_human(text: str) -> bool:
    """A label a person reads: starts with a capital, is not a snake_case/lower-case identifier."""
    return bool(text) and text[0].isupper() and "_" not in text and not _MACHINE_NAME.match(text)


# Fixed colours for the attendance states, the same on every chart: present blue, TK (fined) red,
# not known yet (MENUNGGU) grey, not over yet light blue, letters purple. Other series take the cycle.
SERIES_COLORS: dict[str, str] = {
    "hadir": "#1f77b4",
    "belum_absen": "#9ecae9",
    "tk": "#d62728",
    "menunggu_data_mesin": "#8c8c8c",
    "izin_cuti_sakit_dl": "#9467bd",
}
