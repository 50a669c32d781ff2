"""Run one file's conversion in a child process with a time and a memory budget.

A hostile or broken file (an XML bomb, a PDF of thousands of pages, a parser that loops) must not stop
an ingest or hold the writer lock for hours: the child is stopped at ``seconds`` (with everything it
started, e.g. tesseract) and may add at most ``memory_mb`` to the address space it inherits; either
way :class:`BudgetExceeded` says which budget, and the caller lists the file in ``failed``.

>>> run_within_budget(sum, ([1, 2, 3],), seconds=30, memory_mb=256)
6
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class BudgetExceeded(Exception):
    """The conversion went over its time or memory budget; the message is the reason for the user."""


class ChildFailure(Exception):
    """The conversion raised in the child; ``kind`` is the exception's class name there."""

    def __init__(self, kind: str, message: str, conversion: bool) -> None:
        super().__init__(message)
        self.kind = kind
        self.conversion = conversion  # a ConversionError: its message is the reason as it is


def _address_space() -> int:
    """Bytes of address space this process has mapped now (Linux), 0 if unknown."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _let_go_of_locks() -> None:
    """Close the lock files the child inherited (the writer lock, the embedded Qdrant's folder lock): flock
    locks belong to the open file, so a child outliving a killed parent would otherwise keep the index locked."""
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return
    for name in fds:
        with contextlib.suppress(OSError, ValueError):
            if os.readlink(f"/proc/self/fd/{name}").endswith(".lock"):
                os.close(int(name))


def _die_with_parent() -> None:
    """Linux: the child gets SIGKILL when the process that forked it dies (e.g. a killed re-index)."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _child(write_fd: int, action: Callable[..., Any], args: tuple[Any, ...], memory_mb: int) -> None:
    import resource

    _let_go_of_locks()
    _die_with_parent()
    os.setpgid(0, 0)  # its own process group: helpers it starts (tesseract) are stopped with it
    base = _address_space()
    if base:
        limit = base + memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    result: tuple[Any, ...]
    try:
        result = ("ok", action(*args))
    except MemoryError:
        result = ("memory",)
    except BaseException as exc:
        from pipelines.components.file_converter import ConversionError

        result = ("error", exc.__class__.__name__, str(exc)[:500], isinstance(exc, ConversionError))
    try:
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        data = pickle.dumps(("memory",))
    except Exception as exc:  # a result that cannot be pickled
        data = pickle.dumps(("error", exc.__class__.__name__, str(exc)[:500], False))
    view = memoryview(data)
    while view:
        written = os.write(write_fd, view)
        view = view[written:]


def run_within_budget(action: Callable[..., T], args: tuple[Any, ...], seconds: float, memory_mb: int) -> T:
    """``action(*args)`` in a forked child; its result, or :class:`BudgetExceeded`, or :class:`ChildFailure`."""
    if not hasattr(os, "fork"):  # no fork (Windows): in this process, without budgets
        return action(*args)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        code = 0
        try:
            os.close(read_fd)
            _child(write_fd, action, args, memory_mb)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    with contextlib.suppress(OSError):  # also here: the group exists before the parent may stop it
        os.setpgid(pid, pid)
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    over_time = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                over_time = True
                break
            ready, _, _ = select.select([read_fd], [], [], min(remaining, 1.0))
            if ready:
                chunk = os.read(read_fd, 1 << 20)
                if not chunk:
                    break  # the child closed its end: done (or died)
                chunks.append(chunk)
    finally:
        os.close(read_fd)
        if over_time:
            _kill_group(pid)
        _, status = os.waitpid(pid, 0)
    if over_time:
        raise BudgetExceeded(
            f"took longer than indexing.max_seconds_per_file ({seconds:g} s) and was stopped; "
            "split the file or raise the limit"
        )
    try:
        result = pickle.loads(b"".join(chunks)) if chunks else None
    except Exception:
        result = None
    if result is None:
        died = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        how = f"signal {signal.Signals(died).name}" if died else f"exit code {os.WEXITSTATUS(status)}"
        raise BudgetExceeded(
            f"the converter stopped ({how}), probably over indexing.max_memory_mb_per_file "
            f"({memory_mb} MB); check the file or raise the limit"
        )
    if result[0] == "memory":
        raise BudgetExceeded(
            f"needed more memory than indexing.max_memory_mb_per_file ({memory_mb} MB); "
            "check the file or raise the limit"
        )
    if result[0] == "error":
        raise ChildFailure(result[1], result[2], result[3])
    value: T = result[1]
    return value


def _kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            continue
