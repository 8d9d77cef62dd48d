"""Safe intake of an upload: `.py`, `.zip` or `.ipynb` -> a read-only-friendly source tree.

Everything here runs on the trusted side, so mentee content is only ever read as bytes or parsed
(`ast.parse`, nbformat's JSON); nothing is imported or executed (threat 11). Archives are checked
before anything is written (threats 27, 28): entry count, declared sizes, compression ratio,
names (absolute, `..`, backslashes, duplicates) and types (only regular files and directories:
symlinks, devices and FIFOs are refused; the zip format cannot express hardlinks). Sizes are
counted again while extracting, as declared sizes can lie. Names longer than a file system
holds or nested deeper than `_MAX_DEPTH` are refused. Nothing Python could import other than
the uploaded source is accepted (class 6: bytecode, `__pycache__/`, extension modules, `.pth`
hooks, importable archives), so the code that runs is the code the trusted side parsed; the
parse itself runs in a memory-capped child (`intake_parse.py`). Weights files are copied as
opaque bytes. The result holds files 0644 and directories 0755.
"""

from __future__ import annotations

import errno
import importlib.machinery
import json
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat

from grader.errors import IntakeRejected
from grader.intake_parse import check_python_sources

__all__ = ["IntakeCaps", "notebook_to_source", "unpack_submission"]

MiB = 1024 * 1024
_JUNK_PREFIXES = ("__MACOSX/",)
_JUNK_NAMES = (".DS_Store", "Thumbs.db")
_RATIO_MIN_BYTES = MiB  # small files may compress very well without being bombs
_COPY_CHUNK = MiB
# Names the host file system could not hold, or that no one writes by hand: refused up front.
_MAX_NAME_BYTES = 255
_MAX_PATH_BYTES = 1024
_MAX_DEPTH = 32
_COMPILED_SUFFIXES = tuple(
    {*importlib.machinery.BYTECODE_SUFFIXES, *importlib.machinery.EXTENSION_SUFFIXES}
    | {".pyc", ".pyo", ".so", ".pyd", ".dll", ".dylib"}
)
_IMPORTABLE_ARCHIVES = (".zip", ".egg", ".whl", ".pyz", ".pyzw")


@dataclass(frozen=True)
class IntakeCaps:
    max_upload_bytes: int
    max_files: int = 500
    max_total_bytes: int = 0  # 0: 8 x max_upload_bytes
    max_file_bytes: int = 0  # 0: max_total_bytes
    max_ratio: float = 100.0

    @property
    def total(self) -> int:
        return self.max_total_bytes or 8 * self.max_upload_bytes

    @property
    def per_file(self) -> int:
        return self.max_file_bytes or self.total


def unpack_submission(
    upload: Path,
    dest: Path,
    *,
    entry: str,
    max_upload_bytes: int,
    max_files: int = 500,
    max_total_bytes: int = 0,
    max_file_bytes: int = 0,
    max_ratio: float = 100.0,
) -> Path:
    """Unpack `upload` into the new directory `dest` and return `dest`.

    Raises IntakeRejected (kind + one sentence for the mentee) for anything invalid.
    """
    caps = IntakeCaps(max_upload_bytes, max_files, max_total_bytes, max_file_bytes, max_ratio)
    entry_path = _check_entry_name(entry)
    size = upload.stat().st_size
    if size > caps.max_upload_bytes:
        raise IntakeRejected(
            "too_large",
            f"The upload is {size / MiB:.1f} MiB; the limit is "
            f"{caps.max_upload_bytes / MiB:.1f} MiB.",
        )
    dest.mkdir(mode=0o755, parents=False, exist_ok=False)
    dest.chmod(0o755)
    suffix = upload.suffix.lower()
    if suffix == ".py":
        _write_file(dest / entry_path, upload.read_bytes())
    elif suffix == ".ipynb":
        _write_file(dest / entry_path, notebook_to_source(upload.read_bytes()).encode())
    elif suffix == ".zip":
        _unpack_zip(upload, dest, caps, entry_path)
    else:
        raise IntakeRejected(
            "unsupported_format",
            f"Files ending in {suffix or '(no extension)'} are not accepted; "
            "upload a .py file, a .ipynb notebook or a .zip archive.",
        )
    if not (dest / entry_path).is_file():
        raise IntakeRejected(
            "missing_entry", f"The upload has no {entry}; it must define the entry module."
        )
    check_python_sources(dest)
    return dest


def _check_entry_name(entry: str) -> PurePosixPath:
    path = PurePosixPath(entry)
    if path.is_absolute() or ".." in path.parts or not entry.endswith(".py"):
        raise ValueError(f"invalid entry module name {entry!r}")
    return path


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o644)


# -- notebooks --------------------------------------------------------------------------------


def notebook_to_source(raw: bytes) -> str:
    """The code cells of a notebook as one module; IPython magics and `!` shell lines dropped."""
    try:
        notebook = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except (UnicodeDecodeError, json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        raise IntakeRejected(
            "invalid_archive", "The notebook could not be read; save it again from Jupyter."
        ) from exc
    except Exception as exc:  # nbformat raises assorted validation errors on malformed input
        raise IntakeRejected(
            "invalid_archive", f"The notebook is malformed ({exc.__class__.__name__})."
        ) from exc
    kept: list[str] = []
    dropped = 0
    for cell in notebook.cells:
        if cell.get("cell_type") != "code":
            continue
        lines = str(cell.get("source", "")).splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            dropped += len(lines)  # a cell magic (%%time, %%bash): the whole cell is not Python
            continue
        for line in lines:
            if line.lstrip().startswith(("%", "!")):
                dropped += 1
            else:
                kept.append(line)
        kept.append("")
    header = "# Converted from a notebook: code cells only."
    if dropped:
        header += f" Dropped {dropped} IPython magic or shell line(s) (%, %%, !)."
    return header + "\n" + "\n".join(kept) + "\n"


# -- zip archives -----------------------------------------------------------------------------


def _reject_archive(sentence: str) -> IntakeRejected:
    return IntakeRejected("invalid_archive", sentence)


def _is_junk(name: str) -> bool:
    return name.startswith(_JUNK_PREFIXES) or PurePosixPath(name).name in _JUNK_NAMES


def _checked_name(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename
    if "\\" in name or "\x00" in name:
        raise _reject_archive(f"The archive entry {name!r} uses an invalid path.")
    path = PurePosixPath(name)
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise _reject_archive(f"The archive entry {name!r} has an absolute path.")
    if ".." in path.parts or "." in name.split("/")[:-1] or "//" in name:
        raise _reject_archive(f"The archive entry {name!r} points outside the archive.")
    longest = max((len(part.encode()) for part in path.parts), default=0)
    if longest > _MAX_NAME_BYTES or len(name.encode()) > _MAX_PATH_BYTES:
        raise _reject_archive(f"The archive entry {_short(name)} has a name that is too long.")
    if len(path.parts) > _MAX_DEPTH:
        raise _reject_archive(f"The archive entry {_short(name)} is nested too deeply.")
    return path


def _short(name: str) -> str:
    """An entry name fit for a one-sentence message."""
    return repr(name if len(name) <= 80 else name[:60] + "..." + name[-16:])


def _check_type(info: zipfile.ZipInfo) -> None:
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if mode and kind not in (stat.S_IFREG, stat.S_IFDIR, 0):
        what = "a symbolic link" if kind == stat.S_IFLNK else "a special file"
        raise _reject_archive(f"The archive entry {info.filename!r} is {what}; only files.")
    if info.flag_bits & 0x1:
        raise _reject_archive(f"The archive entry {info.filename!r} is encrypted.")


def _check_sizes(infos: list[zipfile.ZipInfo], caps: IntakeCaps) -> None:
    total = sum(i.file_size for i in infos)
    if total > caps.total:
        raise IntakeRejected(
            "zip_bomb",
            f"The archive unpacks to {total / MiB:.0f} MiB; the limit is {caps.total / MiB:.0f} MiB.",
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        too_big = info.file_size > caps.per_file
        if too_big or (info.file_size > _RATIO_MIN_BYTES and ratio > caps.max_ratio):
            raise IntakeRejected(
                "zip_bomb",
                f"The archive entry {info.filename!r} unpacks to a suspicious size; "
                "upload the files without extreme compression.",
            )


def _common_top_dir(paths: list[PurePosixPath]) -> str | None:
    """The one directory every entry lives in (a zipped folder), if any."""
    tops = {p.parts[0] for p in paths if p.parts}
    if len(tops) == 1 and all(len(p.parts) > 1 or p.parts == (next(iter(tops)),) for p in paths):
        return next(iter(tops))
    return None


def _plan_zip(
    archive: zipfile.ZipFile, caps: IntakeCaps, entry: PurePosixPath
) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    infos = archive.infolist()
    if len(infos) > caps.max_files:
        raise IntakeRejected(
            "too_many_files",
            f"The archive holds {len(infos)} entries; the limit is {caps.max_files}.",
        )
    for info in infos:
        _checked_name(info)
        _check_type(info)
    infos = [i for i in infos if not _is_junk(i.filename)]
    _check_sizes(infos, caps)
    paths = [_checked_name(i) for i in infos]
    top = _common_top_dir(paths)
    if top is not None and entry not in paths:
        paths = [PurePosixPath(*p.parts[1:]) for p in paths]
    plan = [(i, p) for i, p in zip(infos, paths, strict=True) if p.parts]
    _check_sources_only([p for _, p in plan])
    seen: set[str] = set()
    for info, path in plan:
        key = str(path).rstrip("/").lower()
        if key in seen:
            raise _reject_archive(f"The archive holds {info.filename!r} twice.")
        seen.add(key)
    return plan


def _extract_one(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, left: int) -> int:
    """Copy one entry, counting real bytes (declared sizes can lie); returns bytes written."""
    target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    written = 0
    with os.fdopen(fd, "wb") as out, archive.open(info) as src:
        while chunk := src.read(_COPY_CHUNK):
            written += len(chunk)
            if written > info.file_size or written > left:
                raise IntakeRejected(
                    "zip_bomb", f"The archive entry {info.filename!r} is larger than it claims."
                )
            out.write(chunk)
    target.chmod(0o644)
    return written


def _unpack_zip(upload: Path, dest: Path, caps: IntakeCaps, entry: PurePosixPath) -> None:
    try:
        with zipfile.ZipFile(upload) as archive:
            plan = _plan_zip(archive, caps, entry)
            left = caps.total
            for info, path in plan:
                target = dest.joinpath(*path.parts)
                if info.is_dir():
                    target.mkdir(mode=0o755, parents=True, exist_ok=True)
                    target.chmod(0o755)
                else:
                    left -= _extract_one(archive, info, target, left)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise _reject_archive(
            "The upload is not a valid zip archive; create it again with a standard zip tool."
        ) from exc
    except FileExistsError as exc:
        raise _reject_archive("The archive holds a file and a folder with the same name.") from exc
    except OSError as exc:
        if exc.errno not in (errno.ENAMETOOLONG, errno.ENOTDIR, errno.EISDIR, errno.ELOOP):
            raise  # a full disk or a broken worker is the grader's failure, not the mentee's
        raise _reject_archive("The archive holds a path this system cannot create.") from exc
    for directory in [dest, *(p for p in dest.rglob("*") if p.is_dir())]:
        directory.chmod(0o755)


# -- what Python could import that is not source --------------------------------------------


def _non_source_reason(path: PurePosixPath) -> str | None:
    """Why Python could import `path` as something other than the uploaded source, or None.

    Bytecode and extension modules shadow or replace a `.py` of the same name; `.pth` files run
    code from a site directory; archives Python imports from (zipimport, eggs, wheels) hide
    code the trusted side never parsed. Data files (weights, `.npz`, `.json`) stay allowed.
    """
    if any(part.lower() == "__pycache__" for part in path.parts):
        return "a __pycache__ folder (compiled bytecode)"
    name = path.name.lower()
    if name.endswith(_COMPILED_SUFFIXES):
        return "compiled code (bytecode or an extension module)"
    if name.endswith(_IMPORTABLE_ARCHIVES):
        return "an archive Python can import code from"
    if name.endswith(".pth"):
        return "a .pth import hook"
    return None


def _check_sources_only(paths: list[PurePosixPath]) -> None:
    for path in paths:
        reason = _non_source_reason(path)
        if reason:
            raise IntakeRejected(
                "unsupported_format",
                f"The archive entry {str(path)!r} is {reason}; upload Python source (.py) only, "
                "the grader runs exactly the code it can read.",
            )
