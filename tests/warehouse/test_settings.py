"""Every setting from one typed place (warehouse.settings), flag > environment > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.errors import UserError
from warehouse.settings import DEFAULT_TIMEZONE, PROJECT_ROOT, load


def test_defaults_without_any_variable() -> None:
    settings = load({})
    assert settings.database_url is None  # the embedded server
    assert settings.home == (PROJECT_ROOT / ".absensi").resolve()
    assert settings.timezone == DEFAULT_TIMEZONE
    assert (settings.pull_timeout, settings.transform_wait, settings.retry_delay_seconds) == (
        20.0,
        1800.0,
        300,
    )
    assert settings.inbox == settings.home / "inbox" and settings.output == settings.home / "out"
    assert settings.month_dir("2026-10") == settings.output / "2026-10"


def test_the_environment_overrides_each_default(tmp_path: Path) -> None:
    settings = load(
        {
            "ABSENSI_DATABASE_URL": "postgresql://u@h/db",
            "ABSENSI_HOME": str(tmp_path),
            "ABSENSI_TIMEZONE": "Asia/Makassar",
            "ABSENSI_PULL_TIMEOUT": "7.5",
            "ABSENSI_TRANSFORM_WAIT": "60",
            "ABSENSI_OUTPUT": str(tmp_path / "keluar"),
            "ABSENSI_COMMKEY_OKU001": " 123456 ",
            "PATH": "/bin",
        }
    )
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.pgdata == tmp_path / "pgdata" and settings.inbox == tmp_path / "inbox"
    assert (settings.timezone, settings.pull_timeout, settings.transform_wait) == ("Asia/Makassar", 7.5, 60.0)
    assert settings.dashboards_dir == tmp_path / "keluar" / "dashboards"
    assert settings.comm_key("ABSENSI_COMMKEY_OKU001") == "123456"
    assert settings.comm_key("ABSENSI_COMMKEY_OTHER") == ""
    assert "PATH" not in settings.comm_keys  # only the comm keys are kept, never the whole environment


def test_a_comm_key_reference_must_name_a_comm_key_variable() -> None:
    with pytest.raises(UserError, match="ABSENSI_COMMKEY_"):
        load({"PATH": "/bin"}).comm_key("PATH")


def test_a_duration_that_is_not_a_number_is_one_clear_line() -> None:
    with pytest.raises(UserError, match="ABSENSI_PULL_TIMEOUT='lama' bukan angka detik"):
        load({"ABSENSI_PULL_TIMEOUT": "lama"})


def test_the_regency_profile_is_one_of_the_seed_profiles() -> None:
    # issue 20: one setting picks the policies per employee type (seed regency_profiles)
    assert load({}).regency_profile == ""  # seed policy_assignment, as before
    assert load({"ABSENSI_REGENCY_PROFILE": " HSU "}).regency_profile == "hsu"
    assert load({"ABSENSI_REGENCY_PROFILE": "tpp"}).regency_profile == "tpp"
    with pytest.raises(
        UserError, match=r"ABSENSI_REGENCY_PROFILE='bali' tidak dikenal \(pilih: oku, hsu, tpp"
    ):
        load({"ABSENSI_REGENCY_PROFILE": "bali"})
