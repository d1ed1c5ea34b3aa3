"""Output paths checked before any work is done (and before a month is locked): `--out` that is a
folder where a file is meant, a file where a folder is meant, a path under a file, or a place this
process cannot write answer in one Indonesian line, never a traceback halfway through."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from warehouse.errors import UserError

_OS_WORDS = {
    errno.EACCES: "izin ditolak",
    errno.EPERM: "izin ditolak",
    errno.EROFS: "sistem berkas hanya-baca",
    errno.ENOSPC: "disk penuh",
    errno.EDQUOT: "kuota disk habis",
    errno.EISDIR: "itu folder, bukan berkas",
    errno.ENOTDIR: "bagian jalurnya berkas, bukan folder",
    errno.ENOENT: "folder tidak ada",
    errno.ENAMETOOLONG: "nama terlalu panjang",
    errno.EEXIST: "sudah ada",
}


def os_error_words(exc: OSError) -> str:
    """What an OSError from the file system means, in the operators' language."""
    return _OS_WORDS.get(exc.errno or 0, exc.strerror or type(exc).__name__)


def os_error_message(exc: OSError, what: str = "") -> str:
    """One line: the path, (the option it came from,) and what went wrong."""
    path = exc.filename if exc.filename is not None else "?"
    label = f" ({what})" if what else ""
    return f"{path}{label}: {os_error_words(exc)}"


def _nearest_existing(path: Path) -> Path:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def _probe_writable(folder: Path, path: Path, what: str) -> None:
    """Create and remove a scratch file in `folder` (root ignores permission bits, so os.access
    cannot say; a read-only or virtual file system only answers to a real attempt)."""
    try:
        fd, scratch = tempfile.mkstemp(prefix=".absensi-probe-", dir=folder)
    except OSError as exc:
        raise UserError(f"{path} ({what}): tidak bisa ditulis di {folder}: {os_error_words(exc)}") from None
    os.close(fd)
    os.unlink(scratch)


def _check_parents(path: Path, what: str) -> None:
    existing = _nearest_existing(path.parent)
    if not existing.is_dir():
        raise UserError(f"{path} ({what}): {existing} adalah berkas, bukan folder")
    _probe_writable(existing, path, what)


def check_output_file(path: Path | str, what: str = "--out", example: str = "") -> Path:
    """`path` will be written as a file: it is not a folder, its parent is (or can be made) a
    folder, and this process can write there. Nothing is created. Returns the path."""
    path = Path(path)
    if path.is_dir():
        hint = f", mis. {path / example}" if example else ""
        raise UserError(f"{path} ({what}): itu folder; beri nama berkas{hint}")
    if path.exists() and not path.is_file():
        raise UserError(f"{path} ({what}): bukan berkas biasa")
    _check_parents(path, what)
    if path.exists():
        try:
            with path.open("ab"):
                pass
        except OSError as exc:
            raise UserError(f"{path} ({what}): tidak bisa ditulis: {os_error_words(exc)}") from None
    return path


def check_output_dir(path: Path | str, what: str = "--out") -> Path:
    """`path` will be a folder written into: it is not a file, and this process can write there
    (in it, or where it would be made). Nothing is created. Returns the path."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{path} ({what}): sudah ada sebagai berkas, bukan folder")
    if path.is_dir():
        _probe_writable(path, path, what)
    else:
        _check_parents(path, what)
    return path
