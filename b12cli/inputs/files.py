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
MAX_FOLDER_ENTRIES = 100_000  # entries looked at in one folder tree (`history /` must not walk the disk)
SHOWN = 10  # paths of files of other kinds kept to name in a note; the rest are counted


class Walked(NamedTuple):
    files: list[str]  # files to read, sorted
    ignored: list[tuple[str, str]]  # (path, why) for the first SHOWN files of other kinds, not read
    ignored_count: int  # how many files of other kinds there were
    unread: list[tuple[str, str]]  # (path, why) where a limit left files of the kind asked for unread
    unreadable: list[tuple[str, str]]  # (path, why) for files of the kind asked for that cannot be read


class _Walk:
    """The state of one walk: what was found, what was left out, and how much will be read."""

    def __init__(self, suffixes: tuple[str, ...]) -> None:
        self.suffixes = suffixes
        self.found = Walked([], [], 0, [], [])
        self.ignored_count = self.total = self.seen = 0
        self.stopped = False  # MAX_FOLDER_ENTRIES reached: no folder is entered any more
        self.over: dict[str, int] = {}  # a limit's reason -> how many were left unread by it

    def visit(self, entry: os.DirEntry, depth: int, stack: list[tuple[str, int]]) -> None:
        unreadable = self.found.unreadable
        try:
            is_dir, is_file = entry.is_dir(follow_symlinks=False), entry.is_file()
        except OSError:
            unreadable.append((entry.path, "cannot be read"))
            return
        if is_dir:
            if self.stopped:
                return
            if depth + 1 > MAX_FOLDER_DEPTH:
                self.limit(entry.path, f"a folder deeper than {MAX_FOLDER_DEPTH} folders")
            else:
                stack.append((entry.path, depth + 1))
        elif not entry.name.lower().endswith(self.suffixes):
            self.ignored_count += 1
            if len(self.found.ignored) < SHOWN:
                self.found.ignored.append((entry.path, f"not a {' or '.join(self.suffixes)} file"))
        elif not is_file:
            unreadable.append((entry.path, "not a regular file (a pipe, a device or a broken link)"))
        else:
            self.take(entry)

    def limit(self, path: str, why: str) -> None:
        """Something left unread by a limit: the first of each kind is named, the rest counted."""
        if why not in self.over:
            self.found.unread.append((path, why))
        self.over[why] = self.over.get(why, 0) + 1

    def take(self, entry: os.DirEntry) -> None:
        if len(self.found.files) >= MAX_FOLDER_FILES:
            self.limit(entry.path, f"over the limit of {MAX_FOLDER_FILES:,} files read from a folder")
            return
        try:
            size = entry.stat().st_size
        except OSError:
            size = 0
        if self.total + size > MAX_FOLDER_BYTES:
            self.limit(entry.path, f"over the limit of {MAX_FOLDER_BYTES >> 20} MiB read from a folder")
            return
        self.total += size
        self.found.files.append(entry.path)


def walk(folder: str, suffixes: tuple[str, ...]) -> Walked:
    """The files under ``folder`` whose names end in ``suffixes``, walked without recursion and without
    following links to folders, at most MAX_FOLDER_FILES files and MAX_FOLDER_BYTES bytes, MAX_FOLDER_DEPTH
    deep and MAX_FOLDER_ENTRIES entries looked at; what a limit left unread is listed (the first path of
    each limit, with how many more), files of other kinds are counted."""
    state = _Walk(suffixes)
    stack = [(folder, 0)]
    while stack:
        path, depth = stack.pop()
        try:
            with os.scandir(path) as listing:
                entries = []
                for entry in listing:
                    state.seen += 1
                    if state.seen > MAX_FOLDER_ENTRIES:
                        state.limit(path, f"the walk stopped after {MAX_FOLDER_ENTRIES:,} entries")
                        state.stopped = True
                        stack.clear()
                        break
                    entries.append(entry)
        except OSError as exc:
            state.found.unreadable.append((path, f"cannot be read ({exc.strerror})"))
            continue
        for entry in sorted(entries, key=lambda e: e.name, reverse=True):  # popped in sorted order
            state.visit(entry, depth, stack)
    found = state.found
    unread = [(path, why if state.over[why] == 1 else f"{why} ({state.over[why]:,} left unread)")
              for path, why in found.unread]
    return Walked(sorted(found.files), found.ignored, state.ignored_count, unread, found.unreadable)
