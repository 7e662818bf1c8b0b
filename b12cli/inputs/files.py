"""Reading files without surprises: a regular file of bounded size, never a FIFO, a device or a
symlink where one could be planted; folders walked iteratively, with a cap on what is visited."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import NamedTuple


class Unusable(Exception):
    """A file that is not a regular file, is too big, or (for a private file) is not ours alone."""


def private(st: os.stat_result) -> bool:
    """Owned by the current user and not writable by group or others (always true without uids)."""
    if not hasattr(os, "getuid"):
        return True
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def read_regular(path: Path | str, limit: int, *, private_only: bool = False) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; never blocks on a FIFO or device.

    ``private_only`` (for cache files): the path itself must not be a symlink, and the file must be
    ours and not writable by others. Raises ``OSError`` or ``Unusable``.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    if private_only:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unusable("not a regular file")
        if private_only and not private(st):
            raise Unusable("not private to this user")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise Unusable(f"larger than {limit / (1 << 20):g} MiB")
    return b"".join(chunks)


MAX_FOLDER_FILES = 10_000  # files read from one folder tree
MAX_FOLDER_BYTES = 256 << 20  # bytes read from one folder tree, all files together
MAX_FOLDER_DEPTH = 32  # folders inside folders


class Walked(NamedTuple):
    files: list[str]  # files to read, sorted
    ignored: list[tuple[str, str]]  # (path, why) for what is not read: other kinds of file, over a limit
    unreadable: list[tuple[str, str]]  # (path, why) for files of the kind asked for that cannot be read


class _Walk:
    """The state of one walk: what was found, what was left out, and how much will be read."""

    def __init__(self, suffixes: tuple[str, ...]) -> None:
        self.suffixes = suffixes
        self.found = Walked([], [], [])
        self.total = 0

    def visit(self, entry: os.DirEntry, depth: int, stack: list[tuple[str, int]]) -> None:
        ignored, unreadable = self.found.ignored, self.found.unreadable
        try:
            is_dir, is_file = entry.is_dir(follow_symlinks=False), entry.is_file()
        except OSError:
            unreadable.append((entry.path, "cannot be read"))
            return
        if is_dir:
            if depth + 1 > MAX_FOLDER_DEPTH:
                ignored.append((entry.path, f"deeper than {MAX_FOLDER_DEPTH} folders"))
            else:
                stack.append((entry.path, depth + 1))
        elif not entry.name.lower().endswith(self.suffixes):
            ignored.append((entry.path, f"not a {' or '.join(self.suffixes)} file"))
        elif not is_file:
            unreadable.append((entry.path, "not a regular file (a pipe, a device or a broken link)"))
        else:
            self.take(entry)

    def take(self, entry: os.DirEntry) -> None:
        if len(self.found.files) >= MAX_FOLDER_FILES:
            self.found.ignored.append((entry.path, f"over the limit of {MAX_FOLDER_FILES:,} files"))
            return
        try:
            size = entry.stat().st_size
        except OSError:
            size = 0
        if self.total + size > MAX_FOLDER_BYTES:
            self.found.ignored.append((entry.path, f"over the limit of {MAX_FOLDER_BYTES >> 20} MiB read from a "
                                                   "folder"))
            return
        self.total += size
        self.found.files.append(entry.path)


def walk(folder: str, suffixes: tuple[str, ...]) -> Walked:
    """The files under ``folder`` whose names end in ``suffixes``, walked without recursion and without
    following links to folders, at most MAX_FOLDER_FILES files and MAX_FOLDER_BYTES bytes, MAX_FOLDER_DEPTH
    deep; anything else found or left out is listed with the reason."""
    state = _Walk(suffixes)
    stack = [(folder, 0)]
    while stack:
        path, depth = stack.pop()
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name, reverse=True)  # popped in sorted order
        except OSError as exc:
            state.found.unreadable.append((path, f"cannot be read ({exc.strerror})"))
            continue
        for entry in entries:
            state.visit(entry, depth, stack)
    found = state.found
    return Walked(sorted(found.files), found.ignored, found.unreadable)
