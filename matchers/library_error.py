"""The one refusal of the library loader, shared by the file reader and the validator."""

from __future__ import annotations


class LibraryError(Exception):
    """A library file that cannot be used; `problems` are lines like `narratives.yaml:41:7: key: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def size_text(max_bytes: int) -> str:
    return f"{max_bytes / 1024 / 1024:g} MiB" if max_bytes >= 1024 * 1024 else f"{max_bytes} bytes"


def too_large(where: object, max_bytes: int) -> LibraryError:
    return LibraryError([f"{where}: the file is larger than {size_text(max_bytes)} (NARRATIVE_BOT_MAX_LIBRARY_BYTES)"])
