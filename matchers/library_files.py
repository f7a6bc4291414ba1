"""Which files make up a library, and their bytes.

A library is one YAML file (narratives.yaml), that file with a folder of part-files beside it named after it
(narratives.d/), or a folder of part-files. A folder's part-files are the `*.yaml` and `*.yml` files directly in it,
in the order of their names; anything else there (a README, an editor's `foo.yaml~` or `.foo.yaml.swp`, hidden files,
subfolders) is not part of the library, so editing in place never loads a half-saved copy twice.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from matchers.library_error import LibraryError, size_text, too_large

PART_SUFFIXES = (".yaml", ".yml")
# A file changed this recently may change again within the file system's timestamp resolution (a jiffy on Linux)
# with its size unchanged, so its stat says nothing yet: it is read again until it has been still this long (the
# "racy git" rule).
SETTLE_NS = 2_000_000_000


@dataclass(frozen=True)
class LibraryFile:
    name: str  # as errors name it: the path as configured, or that path's folder joined with the file's name
    key: str  # its name within the library ("narratives.d/asia.yaml"), so moving the whole library keeps its digest
    raw: bytes


@dataclass(frozen=True)
class LibraryFiles:
    """The bytes of every file of one library, in load order."""

    path: Path
    files: tuple[LibraryFile, ...]
    split: bool  # False: one file with no part-files, loaded exactly as a single narratives.yaml

    @classmethod
    def single(cls, path: str | Path, raw: bytes) -> LibraryFiles:
        return cls(Path(path), (LibraryFile(str(path), Path(path).name, raw),), split=False)

    @property
    def size(self) -> int:
        return sum(len(f.raw) for f in self.files)

    def digest(self) -> str:
        """A hash of every file's name and bytes, in load order: it keys the caches, so any edit, added, removed or
        renamed part-file gives another. A single file's is the hash of its bytes alone, as it always was."""
        if not self.split:
            return hashlib.sha256(self.files[0].raw).hexdigest()
        digest = hashlib.sha256(b"narrative-bot split library\0")
        for part in self.files:
            digest.update(f"{part.key}\0{len(part.raw)}\0".encode())
            digest.update(part.raw)
        return digest.hexdigest()


def part_folder(path: Path) -> Path:
    """The folder of part-files beside a library file: narratives.yaml has narratives.d."""
    return path.with_name(f"{path.stem}.d")


def part_files(folder: Path) -> list[Path]:
    """The part-files directly in a folder, sorted by name (non-recursive)."""
    try:
        with os.scandir(folder) as entries:
            names = [
                entry.name
                for entry in entries
                if not entry.name.startswith(".")
                and os.path.splitext(entry.name)[1].lower() in PART_SUFFIXES
                # A dangling link stays in, to be refused as unreadable rather than silently dropped.
                and not entry.is_dir()
            ]
    except OSError as exc:
        raise LibraryError([f"{folder}: cannot read the folder: {exc.strerror or exc}"]) from None
    return [folder / name for name in sorted(names)]


def library_paths(path: Path) -> tuple[list[Path], bool]:
    """The files of the library at `path`, in load order, and whether it is split over several (or a folder)."""
    if path.is_dir():
        found = part_files(path)
        if not found:
            raise LibraryError([f"{path}: no library files (*.yaml, *.yml) in this folder"])
        return found, True
    folder = part_folder(path)
    if not folder.is_dir():  # absent, or a file of that name: a single-file library, as before folders were read
        return [path], False
    found = part_files(folder)
    return [path, *found], bool(found)


def read_library_bytes(path: str | Path, *, max_bytes: int) -> bytes:
    """A library file's bytes, refused when it is too large or unreadable."""
    path = Path(path)
    try:
        if path.stat().st_size > max_bytes:
            raise too_large(path, max_bytes)
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)  # the file may grow between stat and read
    except OSError as exc:
        raise LibraryError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    if len(raw) > max_bytes:
        raise too_large(path, max_bytes)
    return raw


def read_library_files(path: str | Path, *, max_bytes: int) -> LibraryFiles:
    """Every file of the library at `path`. `max_bytes` caps each file and, for a split library, all together."""
    path = Path(path)
    paths, split = library_paths(path)
    if not split:
        return LibraryFiles.single(path, read_library_bytes(path, max_bytes=max_bytes))
    root = path if path.is_dir() else path.parent
    files: list[LibraryFile] = []
    problems: list[str] = []
    total = 0
    for part in paths:
        try:
            raw = read_library_bytes(part, max_bytes=max_bytes)
        except LibraryError as exc:  # go on: one run lists every unreadable or oversized file
            problems.extend(exc.problems)
            continue
        total += len(raw)
        if total > max_bytes:
            problems.append(
                f"{part}: the library's files together are larger than {size_text(max_bytes)} "
                f"(NARRATIVE_BOT_MAX_LIBRARY_BYTES, which caps each file and their total); this one brings them "
                f"to {total} bytes"
            )
            break
        files.append(LibraryFile(str(part), part.relative_to(root).as_posix(), raw))
    if problems:
        raise LibraryError(problems)
    return LibraryFiles(path, tuple(files), split=True)


@dataclass(frozen=True)
class LibraryStamp:
    """What the file system says of a library's files without reading them: which files, their sizes, times and
    inodes. The same stamp twice means unchanged files, once they had settled (see SETTLE_NS) when it was taken."""

    entries: tuple[tuple[str, int, int, int, int], ...]  # (path, size, mtime_ns, ctime_ns, inode), load order
    taken_ns: int

    @property
    def settled(self) -> bool:
        return all(max(mtime, ctime) < self.taken_ns - SETTLE_NS for _, _, mtime, ctime, _ in self.entries)


def library_stamp(path: str | Path) -> LibraryStamp | None:
    """The stamp of the library at `path`, or None when its files cannot be listed or stated (reading them then
    says what is wrong)."""
    taken_ns = time.time_ns()
    try:
        paths, _ = library_paths(Path(path))
        entries = []
        for part in paths:
            st = part.stat()
            entries.append((str(part), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    except (LibraryError, OSError):
        return None
    return LibraryStamp(tuple(entries), taken_ns)
