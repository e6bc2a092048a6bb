"""Sandbox worker: a fork server that never runs untrusted code itself (stdlib only).

The arena starts this file's source (prefixed with ``tasks/canonical.py``) as
``python -S -s -P -c SOURCE CTRL_FD SCRATCH DROP_UID``, possibly inside bubblewrap. It reads
jobs from the control socket and, for each, forks a child that:

1. becomes a session leader, drops to an unprivileged uid when it is root, sets OS limits
   (address space, CPU, open files, file size, processes, no core dumps), moves into the
   scratch directory, closes every descriptor but its result pipe, and installs an audit hook
   that refuses network, process creation, signals and file access outside allowed places;
2. executes the candidate source and calls its entry point on each input;
3. streams one line per case to its result pipe and exits with ``os._exit``.

Expected values are never sent here: the arena judges the canonical output text itself.

Result lines (tab-separated; JSON fields never contain raw tabs or newlines):
``R`` ready; ``L <json message>`` the source failed to load; ``<i> O <secs> <json stdout>
<wire>`` case i returned; ``<i> X <secs> <json stdout> <json message>`` case i raised; ``D``
done.
"""

import builtins
import contextlib
import io
import json
import os
import pickle
import resource
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # at run time these come from tasks/canonical.py, prepended to this file
    from tasks.canonical import dumps_wire, to_wire

_BLOCKED_EVENTS = frozenset(
    {
        "socket.__new__",
        "socket.connect",
        "socket.bind",
        "socket.getaddrinfo",
        "socket.sendto",
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.spawn",
        "os.kill",
        "os.killpg",
        "ctypes.dlopen",
        "ctypes.dlsym",
        "ctypes.cdata",
        "pty.spawn",
        "resource.setrlimit",
        "sys.addaudithook",
    }
)
"""Audit events that candidate code may not raise (PEP 578; defence in depth only)."""

_PATH_EVENTS = frozenset(
    {
        "os.chmod",
        "os.chown",
        "os.link",
        "os.symlink",
        "os.truncate",
        "os.mkdir",
        "os.rename",
        "os.rmdir",
        "os.remove",
        "os.utime",
        "os.setxattr",
        "os.removexattr",
        "shutil.rmtree",
    }
)
"""Audit events whose path arguments must stay inside the scratch directory."""

_BLOCKED_MODULES = frozenset(
    {
        "socket",
        "_socket",
        "ssl",
        "_ssl",
        "subprocess",
        "_posixsubprocess",
        "multiprocessing",
        "_multiprocessing",
        "ctypes",
        "_ctypes",
        "pty",
        "urllib",
        "http",
        "xmlrpc",
        "ftplib",
        "smtplib",
        "telnetlib",
        "webbrowser",
        "_xxsubinterpreters",
    }
)
"""Modules candidate code may not import (they are purged from sys.modules first)."""

_PRELOAD = (
    "typing",
    "re",
    "math",
    "collections",
    "itertools",
    "functools",
    "string",
    "heapq",
    "bisect",
    "dataclasses",
    "fractions",
    "decimal",
    "operator",
    "statistics",
    "enum",
    "copy",
    "random",
    "ipaddress",
    "unicodedata",
)
"""Standard modules imported once in the fork server so that children start warm."""

MAX_STDOUT = 4096
MAX_WIRE = 1 << 20
FLUSH_SECONDS = 0.005
FLUSH_BYTES = 1 << 16
NOBODY = 65534


class _CappedText(io.TextIOBase):
    """A text sink that keeps only the first MAX_STDOUT characters written to it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if type(s) is not str:
            raise TypeError("write() argument must be str")
        if self.size < MAX_STDOUT:
            self.parts.append(s[: MAX_STDOUT - self.size])
            self.size += len(self.parts[-1])
        return len(s)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts = []
        self.size = 0
        return text


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _recv_msg(sock: socket.socket) -> Any:
    head = _recv_exact(sock, 4)
    if head is None:
        return None
    body = _recv_exact(sock, struct.unpack("!I", head)[0])
    return None if body is None else pickle.loads(body)


def _send_started(sock: socket.socket, job_id: int, pid: int, fds: list[int]) -> None:
    body = json.dumps(["started", job_id, pid]).encode()
    socket.send_fds(sock, [struct.pack("!I", len(body)) + body], fds)


def _writer(fd: int) -> Callable[[bytes], None]:
    def write_all(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    return write_all


def _clean_dir(path: str) -> None:
    """Remove everything inside ``path`` (the scratch directory), keeping ``path`` itself."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                _clean_dir(entry.path)
                os.rmdir(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            pass


def _allowed_reads() -> tuple[str, ...]:
    roots = [p for p in sys.path if p]
    roots += [sys.base_prefix, sys.prefix, "/usr/lib", "/usr/share/zoneinfo", "/etc/localtime"]
    return tuple(os.path.realpath(r) for r in roots)


def _make_audit_hook(
    scratch: str, read_roots: tuple[str, ...]
) -> Callable[[str, tuple[Any, ...]], None]:
    scratch_prefix = os.path.realpath(scratch) + os.sep
    read_exact = frozenset(read_roots)
    read_prefixes = tuple(root.rstrip(os.sep) + os.sep for root in read_roots)
    devices = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
    blocked_events = _BLOCKED_EVENTS
    blocked_modules = _BLOCKED_MODULES
    path_events = _PATH_EVENTS
    realpath = os.path.realpath
    fspath = os.fspath

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in blocked_events:
            raise PermissionError("sandbox: " + event + " is not allowed")
        if event == "import":
            if args[0].partition(".")[0] in blocked_modules:
                raise ImportError("sandbox: module " + args[0] + " is not allowed")
        elif event == "open":
            path, mode, flags = args
            if isinstance(path, int):
                return
            full = realpath(fspath(path))
            if full.startswith(scratch_prefix) or full in devices:
                return
            writing = (mode is not None and any(c in mode for c in "wax+")) or (
                flags is not None and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            allowed = full in read_exact or full.startswith(read_prefixes)
            if writing or not allowed or "-packages" + os.sep in full:
                raise PermissionError("sandbox: access to " + full + " is not allowed")
        elif event in path_events:
            for path in args[:2]:
                is_path = isinstance(path, (str, bytes)) or hasattr(path, "__fspath__")
                if is_path and not realpath(fspath(path)).startswith(scratch_prefix):
                    raise PermissionError("sandbox: " + event + " outside the scratch dir")

    return hook


def _set_limits(limits: dict[str, int]) -> None:
    mem = limits["memory_bytes"]
    cpu = limits["cpu_seconds"]
    for which, value in (
        (resource.RLIMIT_AS, mem),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_NOFILE, 32),
        (resource.RLIMIT_FSIZE, limits["file_bytes"]),
        (resource.RLIMIT_CORE, 0),
    ):
        hard = value + 1 if which == resource.RLIMIT_CPU else value
        resource.setrlimit(which, (value, hard))
    if os.geteuid() != 0:
        # Root is exempt from RLIMIT_NPROC; everyone else may start no process at all.
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))


def _drop_privileges() -> None:
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)


def _child(
    fds: tuple[int, int],
    scratch: str,
    drop_uid: bool,
    read_roots: tuple[str, ...],
    job: dict[str, Any],
) -> None:
    """Run one job in this freshly forked process; never returns.

    ``fds`` is (result pipe write end, request pipe read end or -1). The result pipe becomes
    descriptor 3, the request pipe descriptor 0 (or /dev/null).
    """
    code = 0
    try:
        os.setsid()
        result_fd, request_fd = fds
        os.dup2(result_fd, 3)
        null = os.open("/dev/null", os.O_RDWR)
        os.dup2(request_fd if request_fd >= 0 else null, 0)
        for fd in (1, 2):
            os.dup2(null, fd)
        os.closerange(4, 1 << 16)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        if drop_uid:
            _drop_privileges()
        _set_limits(job["limits"])
        os.chdir(scratch)
        os.umask(0o077)
        os.environ.clear()
        os.environ.update({"HOME": scratch, "TMPDIR": scratch, "LANG": "C.UTF-8"})
        for name in list(sys.modules):
            if name.partition(".")[0] in _BLOCKED_MODULES:
                del sys.modules[name]
        out = _CappedText()
        sys.stdout = sys.stderr = out
        sys.stdin = io.StringIO("")
        write = _writer(3)
        sys.addaudithook(_make_audit_hook(scratch, read_roots))
    except BaseException:
        os._exit(71)
    try:
        _run_job(job, write, out)
    except BaseException:
        code = 72
    finally:
        os._exit(code)


def _message(exc: BaseException) -> str:
    try:
        text = type(exc).__name__ + ": " + str(exc)
    except BaseException:
        text = "unprintable exception"
    return json.dumps(text[:300])


def _read_frame(fd: int) -> bytes | None:
    """One length-prefixed frame from ``fd``; None at end of file."""
    head = b""
    while len(head) < 4:
        chunk = os.read(fd, 4 - len(head))
        if not chunk:
            return None
        head += chunk
    size = struct.unpack("!I", head)[0]
    parts = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


class _Context:
    """The ``ctx`` a proposer receives: copied data plus methods brokered by the arena."""

    def __init__(self, data: dict[str, Any], rpc: Callable[[str, list[Any]], Any]) -> None:
        import random

        for key in ("solution", "score_now", "failures", "spec", "entry_point", "signature"):
            setattr(self, key, data[key])
        self.operators = list(data["operators"])
        self.peers = list(data["peers"])
        self.budget = int(data["budget"])
        self.random = random.Random(data["seed"])
        self._rpc = rpc

    def mutate(self, source: str, operator: str | None = None) -> Any:
        return self._rpc("mutate", [source, operator])

    def crossover(self, a: str, b: str) -> Any:
        return self._rpc("crossover", [a, b])

    def score(self, source: str) -> Any:
        if self.budget <= 0:
            return None
        self.budget -= 1
        return self._rpc("score", [source])

    def llm(self, prompt: str, **options: Any) -> Any:
        return self._rpc("llm", [prompt, options])


def _run_cases(
    target: Any,
    calls: list[Any],
    write: Callable[[bytes], None],
    out: _CappedText,
    careful: bool = False,
) -> None:
    """Call ``target`` on each input (None: report ``target`` itself); stream result lines.

    Lines are batched for speed; ``careful`` writes each line before the next case starts,
    so that if this process dies, the arena knows exactly which case killed it.
    """
    to_wire_ = to_wire
    dumps = dumps_wire
    perf = time.perf_counter
    buf: list[str] = []
    size = 0
    last_flush = perf()
    for i, args in enumerate(calls):
        t0 = perf()
        try:
            value = target(*args) if args is not None else target
            dt = perf() - t0
            wire = dumps(to_wire_(value))
            if len(wire) > MAX_WIRE:
                raise ValueError("output larger than " + str(MAX_WIRE) + " bytes")
            printed = json.dumps(out.take()) if out.size else '""'
            line = f"{i}\tO\t{dt:.6f}\t{printed}\t{wire}\n"
        except BaseException as exc:
            dt = perf() - t0
            line = f"{i}\tX\t{dt:.6f}\t{json.dumps(out.take())}\t{_message(exc)}\n"
        buf.append(line)
        size += len(line)
        now = perf()
        if careful or size > FLUSH_BYTES or now - last_flush > FLUSH_SECONDS:
            write("".join(buf).encode())
            buf = []
            size = 0
            last_flush = now
    buf.append("D\n")
    write("".join(buf).encode())


def _run_job(job: dict[str, Any], write: Callable[[bytes], None], out: _CappedText) -> None:
    entry = job["entry"]
    kind = job["kind"]
    namespace: dict[str, Any] = {"__name__": "solution", "__builtins__": builtins}
    try:
        exec(compile(job["source"], "solution.py", "exec"), namespace)
        target: Any = namespace.get(entry)
        if target is None:
            raise NameError("the solution defines no " + entry)
        if kind != "data" and not callable(target):
            raise TypeError(entry + " is not callable")
    except BaseException as exc:
        write(("L\t" + _message(exc) + "\n").encode())
        return
    write(b"R\n")
    if kind == "function":
        _run_cases(target, job["inputs"], write, out, job["careful"])
    elif kind == "data":
        _run_cases(target, [None], write, out)
    elif kind == "session":
        while True:
            frame = _read_frame(0)
            if frame is None:
                return
            careful, inputs = pickle.loads(frame)
            _run_cases(target, inputs, write, out, careful)
    elif kind == "propose":

        def rpc(method: str, args: list[Any]) -> Any:
            write(("Q\t" + json.dumps([method, args]) + "\n").encode())
            reply = _read_frame(0)
            if reply is None:
                raise EOFError("the arena closed the broker")
            return json.loads(reply)

        ctx = _Context(job["ctx"], rpc)
        _run_cases(lambda: target(ctx), [()], write, out)


def main() -> None:
    ctrl_fd, scratch_root, drop_uid = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
    for name in _PRELOAD:
        with contextlib.suppress(ImportError):
            __import__(name)
    read_roots = _allowed_reads()
    sock = socket.socket(fileno=ctrl_fd)
    children: dict[int, str] = {}  # pid -> its scratch directory

    def forget(pid: int) -> None:
        scratch = children.pop(pid, None)
        if scratch is not None:
            _clean_dir(scratch)
            with contextlib.suppress(OSError):
                os.rmdir(scratch)

    def on_sigchld(signum: int, frame: object) -> None:
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            forget(pid)

    signal.signal(signal.SIGCHLD, on_sigchld)

    def reap(pid: int) -> None:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        forget(pid)

    while True:
        msg = _recv_msg(sock)
        if msg is None or msg[0] == "exit":
            for pid in list(children):
                reap(pid)
            os._exit(0)
        if msg[0] == "kill":
            if msg[1] in children:
                reap(msg[1])
            continue
        job_id, job = msg[1], msg[2]
        scratch = os.path.join(scratch_root, "j" + str(job_id))
        os.mkdir(scratch, 0o700)
        if drop_uid and os.geteuid() == 0:
            os.chown(scratch, NOBODY, NOBODY)
        r, w = os.pipe()
        req_r, req_w = os.pipe() if job["kind"] in ("session", "propose") else (-1, -1)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        pid = os.fork()
        if pid == 0:
            os.close(r)
            if req_w >= 0:
                os.close(req_w)
            sock.close()
            _child((w, req_r), scratch, drop_uid, read_roots, job)
        children[pid] = scratch
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        os.close(w)
        if req_r >= 0:
            os.close(req_r)
        _send_started(sock, job_id, pid, [r] if req_w < 0 else [r, req_w])
        os.close(r)
        if req_w >= 0:
            os.close(req_w)
