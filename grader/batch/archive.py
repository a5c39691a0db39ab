"""Extract zip archives from students and LMSs without trusting them.

A zip's member names and sizes are written by whoever made it: a name may climb out of the
target folder (`../../.bashrc`, `/etc/x`), a member may be a symlink pointing anywhere, and a
few kilobytes may inflate to gigabytes. So every name is checked before anything is written,
symlinks and special files are skipped, and sizes are counted while decompressing (the
header's sizes are not believed) against per-file, per-archive and member-count caps.
"""
from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.errors import GraderError

SKIPPED_NAMES = {"__MACOSX", ".DS_Store", "Thumbs.db", "__pycache__", ".git"}


@dataclass(frozen=True)
class Caps:
    members: int = 5000
    file_bytes: int = 20 * 1024 * 1024
    total_bytes: int = 200 * 1024 * 1024


@dataclass
class Extracted:
    folder: Path
    files: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)  # members left out, each with the reason


class ArchiveError(GraderError):
    """The archive cannot be used at all (corrupt, or over a cap)."""


def safe_member_path(name: str) -> PurePosixPath | None:
    """The relative path a member may be written to, or None when the name is unsafe."""
    name = name.replace("\\", "/")
    if not name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts) or any("\x00" in p for p in parts):
        return None
    return PurePosixPath(*parts)


def _is_link_or_special(info: zipfile.ZipInfo) -> bool:
    """A symlink, FIFO or device by the Unix mode in the member's high attribute bits (zips
    made elsewhere, or by `writestr`, leave the file-type bits 0: a regular file)."""
    kind = stat.S_IFMT(info.external_attr >> 16)
    return kind not in (0, stat.S_IFREG, stat.S_IFDIR)


def extract(archive: Path, dest: Path, caps: Caps = Caps()) -> Extracted:
    """Extract `archive` into `dest` (created), refusing unsafe members; see the module doc."""
    result = Extracted(dest)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{archive}: not a readable zip archive ({exc}); re-download it") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > caps.members:
            raise ArchiveError(f"{archive}: {len(infos)} members, more than the cap of {caps.members}; "
                               "extract it yourself if it is genuine")
        dest.mkdir(parents=True, exist_ok=True)
        root = dest.resolve()
        for info in infos:
            rel = safe_member_path(info.filename)
            if rel is None:
                result.skipped.append(f"{info.filename}: unsafe path (absolute or '..')")
                continue
            if any(part in SKIPPED_NAMES for part in rel.parts):
                continue
            if info.is_dir():
                continue
            if _is_link_or_special(info):
                result.skipped.append(f"{info.filename}: a symlink or special file")
                continue
            if info.flag_bits & 0x1:
                result.skipped.append(f"{info.filename}: encrypted")
                continue
            target = root.joinpath(*rel.parts)
            if not target.resolve().is_relative_to(root):  # a symlinked folder on the way
                result.skipped.append(f"{info.filename}: unsafe path")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            written = _copy_capped(zf, info, target, caps, result)
            if written is None:
                continue
            result.files += 1
    return result


def _copy_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, caps: Caps,
                 result: Extracted) -> int | None:
    written = 0
    try:
        with zf.open(info) as src, open(target, "wb") as out:
            while True:
                chunk = src.read(65536)
                if not chunk:
                    break
                written += len(chunk)
                if written > caps.file_bytes:
                    break
                if result.bytes + written > caps.total_bytes:
                    out.close()
                    target.unlink(missing_ok=True)
                    raise ArchiveError(f"{zf.filename}: expands to more than "
                                       f"{caps.total_bytes // (1024 * 1024)} MB; refusing to extract the rest")
                out.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        target.unlink(missing_ok=True)
        result.skipped.append(f"{info.filename}: unreadable ({type(exc).__name__})")
        return None
    if written > caps.file_bytes:
        target.unlink(missing_ok=True)
        result.skipped.append(f"{info.filename}: larger than {caps.file_bytes // (1024 * 1024)} MB")
        return None
    result.bytes += written
    return written
