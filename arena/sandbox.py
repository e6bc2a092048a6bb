"""Run untrusted candidate solutions against cases, outside this process, and judge them here.

``Sandbox.evaluate(task, solutions, cases)`` returns an ``EvalResult`` whose ``outcomes`` is
the outcome matrix (numpy int8, shape ``(len(solutions), len(cases))``, values of
``tasks.Outcome``). Candidates run in children forked by warm worker processes (see
``arena/worker.py``); only inputs go in, only canonical output text comes back, and every
verdict is a comparison made in this process against the oracle's label.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson

from arena.errors import SandboxError
from tasks import Case, Outcome, Task
from tasks.canonical import WireError, from_wire

Isolation = Literal["auto", "bwrap", "basic"]

_HERE = Path(__file__).resolve().parent
_PROJECT_ROOT = _HERE.parent
_MAX_LINE = (1 << 20) + 8192
_LOAD_SECONDS = 5.0
_GRACE_SECONDS = 0.25


@cache
def worker_source() -> str:
    """The worker program: the canonical encoder followed by the fork server."""
    canonical = (_PROJECT_ROOT / "tasks" / "canonical.py").read_text()
    worker = (_HERE / "worker.py").read_text()
    return canonical + "\n\n" + worker + "\n\nmain()\n"


def _interpreter() -> str:
    """The base Python interpreter (outside any virtual environment)."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def _worker_env(scratch: str) -> dict[str, str]:
    """A scrubbed environment: no inherited variables, so no API keys."""
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": scratch,
        "TMPDIR": scratch,
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _bwrap_args(scratch_root: str) -> list[str]:
    """bubblewrap arguments: read-only system and Python, nothing else, no network."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxError("bubblewrap (bwrap) is not installed")
    args = [
        bwrap,
        "--die-with-parent",
        "--new-session",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--ro-bind",
        "/usr",
        "/usr",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
    ]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    args += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    args += ["--ro-bind-try", "/etc/localtime", "/etc/localtime"]
    for prefix in {os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)}:
        if not prefix.startswith("/usr/"):
            args += ["--ro-bind", prefix, prefix]
    args += ["--bind", scratch_root, scratch_root]
    return args


@cache
def bwrap_available() -> bool:
    """Whether bubblewrap is installed and can start the interpreter here (probed once)."""
    if shutil.which("bwrap") is None:
        return False
    root = tempfile.mkdtemp(prefix="arena-probe-")
    try:
        cmd = [*_bwrap_args(root), "--", _interpreter(), "-S", "-c", "import os"]
        done = subprocess.run(cmd, capture_output=True, timeout=20, env=_worker_env(root))
        return done.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class EvalResult:
    """What an evaluation produced.

    outcomes: int8, shape (S, C), ``tasks.Outcome`` values.
    outputs: S lists of C canonical output texts (None where there was no output).
    messages: S lists of C error texts (None where there was no error).
    seconds: float32, shape (S, C), case durations as the worker measured them.
    wall: float64, shape (S,), wall seconds this process spent waiting on each solution.
    metrics: per solution, the task's ``data_metrics`` (data tasks only; else empty).
    """

    outcomes: np.ndarray
    outputs: list[list[str | None]]
    messages: list[list[str | None]]
    seconds: np.ndarray
    wall: np.ndarray
    metrics: list[dict[str, Any]] = field(default_factory=list)

    def pass_rates(self) -> np.ndarray:
        """Fraction of cases passed per solution, float64 shape (S,)."""
        if self.outcomes.shape[1] == 0:
            return np.zeros(self.outcomes.shape[0])
        rates: np.ndarray = (self.outcomes == Outcome.PASS).mean(axis=1)
        return rates


@dataclass
class _Job:
    solution: int
    positions: list[int]  # case indices this job covers, in order
    kind: str
    started: float = 0.0
    done: int = 0  # how many of positions have a verdict
    ready: bool = False
    finished: bool = False
    killed_for_time: bool = False
    violated: bool = False
    pid: int = 0
    fd: int = -1
    worker: int = -1
    buf: bytes = b""
    deadline: float = 0.0


class _Worker:
    """One warm fork server (optionally inside bubblewrap) and the job it is running."""

    def __init__(self, index: int, root: str, isolation: str, drop_uid: bool) -> None:
        self.scratch = os.path.join(root, f"w{index}")
        os.makedirs(self.scratch, exist_ok=True)
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        cmd = [
            _interpreter(),
            "-S",
            "-s",
            "-P",
            "-c",
            worker_source(),
            str(child.fileno()),
            self.scratch,
            "1" if drop_uid else "0",
        ]
        if isolation == "bwrap":
            cmd = [*_bwrap_args(root), "--chdir", self.scratch, "--", *cmd]
        self._log = open(os.path.join(root, f"w{index}.log"), "ab")  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                cmd,
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                env=_worker_env(self.scratch),
                cwd=self.scratch,
                start_new_session=True,
            )
        except OSError as exc:
            raise SandboxError(f"cannot start a sandbox worker: {exc}") from exc
        finally:
            child.close()
        self.sock = parent
        self.isolation = isolation

    def send(self, msg: tuple[Any, ...]) -> None:
        body = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
        self.sock.sendall(struct.pack("!I", len(body)) + body)

    def start(self, job_id: int, payload: dict[str, Any], timeout: float = 30.0) -> tuple[int, int]:
        """Ask for a forked child; return (pid, read end of its result pipe)."""
        self.send(("run", job_id, payload))
        self.sock.settimeout(timeout)
        try:
            data, fds, _flags, _addr = socket.recv_fds(self.sock, 4096, 1)
        finally:
            self.sock.settimeout(None)
        if not data or not fds:
            raise SandboxError("sandbox worker exited")
        (length,) = struct.unpack("!I", data[:4])
        kind, got_id, pid = orjson.loads(data[4 : 4 + length])
        if kind != "started" or got_id != job_id:
            raise SandboxError("sandbox worker answered out of order")
        return int(pid), fds[0]

    def kill_child(self, pid: int) -> None:
        try:
            self.send(("kill", pid))
        except OSError:
            if self.isolation == "basic":
                with contextlib.suppress(OSError):
                    os.killpg(pid, 9)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send(("exit",))
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()
        self._log.close()


class Sandbox:
    """Warm, isolated workers that evaluate candidate solutions (use as a context manager).

    Keyword arguments:
        workers: parallel worker processes (default: the number of CPUs).
        memory_mb: address-space limit of each candidate process.
        isolation: "bwrap" (bubblewrap: no network, read-only minimal file system, own PID
            namespace), "basic" (OS limits, unprivileged uid when root, audit hook), or "auto"
            (bwrap when it works here, else basic). "bwrap" raises SandboxError if unusable.
        max_timeouts: after this many timeouts of one solution in one ``evaluate`` call, its
            remaining cases are marked TIMEOUT without being run.
        chunk_size: at most this many cases go to one forked child.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        memory_mb: int = 1024,
        isolation: Isolation = "auto",
        max_timeouts: int = 3,
        chunk_size: int = 500,
    ) -> None:
        if isolation not in ("auto", "bwrap", "basic"):
            raise SandboxError(f"unknown isolation {isolation!r} (auto, bwrap or basic)")
        if isolation == "bwrap" and not bwrap_available():
            raise SandboxError("isolation 'bwrap' asked for, but bubblewrap does not work here")
        if isolation == "auto":
            isolation = "bwrap" if bwrap_available() else "basic"
        self.isolation: str = isolation
        self.n_workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
        self.memory_mb = memory_mb
        self.max_timeouts = max_timeouts
        self.chunk_size = max(1, chunk_size)
        self.drop_uid = os.geteuid() == 0
        self._root: str | None = None
        self._workers: list[_Worker | None] = []
        self._job_ids = 0

    # ---- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker and remove the scratch directories."""
        for w in self._workers:
            if w is not None:
                w.close()
        self._workers = []
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def protections(self) -> dict[str, Any]:
        """What this sandbox enforces, for logs and reports."""
        return {
            "isolation": self.isolation,
            "workers": self.n_workers,
            "memory_mb": self.memory_mb,
            "unprivileged_uid": self.drop_uid,
            "network": "none" if self.isolation == "bwrap" else "blocked by audit hook only",
            "filesystem": "read-only minimal view" if self.isolation == "bwrap" else "audit hook",
        }

    def _ensure_workers(self) -> list[_Worker]:
        if self._root is None:
            self._root = tempfile.mkdtemp(prefix="arena-sandbox-")
            os.chmod(self._root, 0o711)
            self._workers = [None] * self.n_workers
        for i, w in enumerate(self._workers):
            if w is None or not w.alive():
                if w is not None:
                    w.close()
                self._workers[i] = _Worker(i, self._root, self.isolation, self.drop_uid)
        return [w for w in self._workers if w is not None]

    # ---- evaluation --------------------------------------------------------------------

    def evaluate(self, task: Task, solutions: Sequence[str], cases: Sequence[Case]) -> EvalResult:
        """Run every solution on every case; return the outcome matrix and details.

        Raises SandboxError only if the workers themselves cannot be kept running; anything
        a candidate does ends as FAIL, ERROR or TIMEOUT in the matrix.
        """
        n_s, n_c = len(solutions), len(cases)
        res = EvalResult(
            outcomes=np.full((n_s, n_c), Outcome.NOT_RUN, dtype=np.int8),
            outputs=[[None] * n_c for _ in range(n_s)],
            messages=[[None] * n_c for _ in range(n_s)],
            seconds=np.zeros((n_s, n_c), dtype=np.float32),
            wall=np.zeros(n_s, dtype=np.float64),
            metrics=[{} for _ in range(n_s)],
        )
        if n_s == 0 or (n_c == 0 and task.kind == "function"):
            return res
        run = _Run(self, task, solutions, cases, res)
        run.execute()
        return res


class _Run:
    """The scheduling loop of one ``Sandbox.evaluate`` call."""

    def __init__(
        self,
        box: Sandbox,
        task: Task,
        solutions: Sequence[str],
        cases: Sequence[Case],
        res: EvalResult,
    ) -> None:
        self.box, self.task, self.solutions, self.cases, self.res = box, task, solutions, cases, res
        self.timeouts = [0] * len(solutions)
        self.dead = [False] * len(solutions)  # load failed: no more jobs for it
        self.queue: deque[_Job] = deque()
        if task.kind == "data":
            for s in range(len(solutions)):
                self.queue.append(_Job(s, [-1], "data"))
        else:
            n_c = len(cases)
            per = max(1, min(box.chunk_size, math.ceil(n_c * len(solutions) / box.n_workers)))
            for s in range(len(solutions)):
                for lo in range(0, n_c, per):
                    self.queue.append(_Job(s, list(range(lo, min(lo + per, n_c))), "function"))
        self.sel = selectors.DefaultSelector()
        self.restarts = 0

    def payload(self, job: _Job) -> dict[str, Any]:
        task, box = self.task, self.box
        n = len(job.positions)
        return {
            "source": self.solutions[job.solution],
            "entry": task.entry_point,
            "kind": job.kind,
            "inputs": [self.cases[i].args for i in job.positions] if job.kind == "function" else [],
            "limits": {
                "memory_bytes": box.memory_mb << 20,
                "cpu_seconds": math.ceil(_LOAD_SECONDS + task.time_limit * n + 1),
                "file_bytes": 16 << 20,
            },
        }

    def execute(self) -> None:
        workers = self.box._ensure_workers()
        idle = list(range(len(workers)))
        active: dict[int, tuple[int, _Job]] = {}  # fd -> (worker index, job)
        try:
            while self.queue or active:
                while idle and self.queue:
                    job = self.queue.popleft()
                    if self.skip_if_hopeless(job):
                        continue
                    wi = idle.pop()
                    self.launch(wi, job, active)
                if not active:
                    continue
                events = self.sel.select(timeout=self.next_timeout(active))
                now = time.perf_counter()
                for key, _ in events:
                    wi, job = active[key.fd]
                    if self.read(job):
                        self.finish(wi, job, active, idle)
                for fd, (wi, job) in list(active.items()):
                    if fd in active and now > job.deadline and not job.killed_for_time:
                        job.killed_for_time = True
                        self.box._workers[wi].kill_child(job.pid)  # type: ignore[union-attr]
        finally:
            for fd, (wi, job) in list(active.items()):
                self.box._workers[wi].kill_child(job.pid)  # type: ignore[union-attr]
                self.sel.unregister(fd)
                os.close(fd)
            self.sel.close()

    def skip_if_hopeless(self, job: _Job) -> bool:
        s = job.solution
        if self.dead[s] or self.timeouts[s] >= self.box.max_timeouts:
            code, msg = (
                (Outcome.ERROR, "solution failed to load")
                if self.dead[s]
                else (Outcome.TIMEOUT, "time budget of this solution exhausted")
            )
            self.mark_rest(job, code, msg)
            return True
        return False

    def launch(self, wi: int, job: _Job, active: dict[int, tuple[int, _Job]]) -> None:
        for attempt in range(3):
            worker = self.box._ensure_workers()[wi]
            self.box._job_ids += 1
            try:
                job.pid, job.fd = worker.start(self.box._job_ids, self.payload(job))
                break
            except (OSError, SandboxError, ValueError) as exc:
                worker.close()
                self.box._workers[wi] = None
                if attempt == 2:
                    raise SandboxError(f"sandbox worker keeps failing: {exc}") from exc
        job.worker = wi
        os.set_blocking(job.fd, False)
        job.started = time.perf_counter()
        job.deadline = job.started + _LOAD_SECONDS + self.task.time_limit
        active[job.fd] = (wi, job)
        self.sel.register(job.fd, selectors.EVENT_READ)

    def next_timeout(self, active: dict[int, tuple[int, _Job]]) -> float | None:
        """Seconds until the earliest deadline of a child not yet killed (None: no child)."""
        deadlines = [job.deadline for _, job in active.values() if not job.killed_for_time]
        if not active:
            return None
        if not deadlines:
            return 1.0
        return max(0.0, min(deadlines) - time.perf_counter())

    def read(self, job: _Job) -> bool:
        """Consume what the child wrote; return True when its pipe is closed."""
        try:
            chunk = os.read(job.fd, 1 << 18)
        except BlockingIOError:
            return False
        if not chunk:
            return True
        if job.violated:
            return False
        data = job.buf + chunk
        lines = data.split(b"\n")
        job.buf = lines.pop()
        if len(job.buf) > _MAX_LINE:
            self.violation(job, "result line too long")
            return False
        for line in lines:
            if not self.handle(job, line):
                self.violation(job, "malformed result message")
                return False
        if lines:
            job.deadline = time.perf_counter() + self.task.time_limit + _GRACE_SECONDS
        return False

    def violation(self, job: _Job, why: str) -> None:
        job.violated = True
        self.mark_rest(job, Outcome.ERROR, f"protocol violation: {why}")
        worker = self.box._workers[job.worker]
        if worker is not None:
            worker.kill_child(job.pid)

    def handle(self, job: _Job, line: bytes) -> bool:
        """Apply one result line; False if it does not follow the protocol."""
        s = job.solution
        if not job.ready:
            if line == b"R":
                job.ready = True
                return True
            if line.startswith(b"L\t"):
                self.dead[s] = True
                self.mark_rest(job, Outcome.ERROR, "load: " + _json_text(line[2:]))
                job.finished = True
                return True
            return False
        if line == b"D":
            job.finished = True
            return job.done == len(job.positions)
        parts = line.split(b"\t", 4)
        if len(parts) != 5 or job.done >= len(job.positions):
            return False
        idx, tag, secs, _stdout, payload = parts
        if not idx.isdigit() or int(idx) != job.done:
            return False
        try:
            dt = float(secs)
        except ValueError:
            return False
        if not math.isfinite(dt) or dt < 0:
            return False
        pos = job.positions[job.done]
        text = payload.decode("utf-8", "replace")
        if job.kind == "data":
            self.judge_data(job, tag, text, dt)
            job.done = 1
            return True
        res = self.res
        res.seconds[s, pos] = dt
        if tag == b"O":
            res.outputs[s][pos] = text
            if dt > self.task.time_limit:
                res.outcomes[s, pos] = Outcome.TIMEOUT
                self.timeouts[s] += 1
            elif self.task.outputs_match(self.cases[pos].expected_wire, text):
                res.outcomes[s, pos] = Outcome.PASS
            else:
                res.outcomes[s, pos] = Outcome.FAIL
        elif tag == b"X":
            res.messages[s][pos] = _json_text(payload)
            res.outcomes[s, pos] = Outcome.ERROR
        else:
            return False
        job.done += 1
        return True

    def judge_data(self, job: _Job, tag: bytes, text: str, dt: float) -> None:
        s, n_c = job.solution, len(self.cases)
        if tag != b"O":
            self.res.outcomes[s, :] = Outcome.ERROR
            for i in range(n_c):
                self.res.messages[s][i] = _json_text(text.encode())
            return
        try:
            value = from_wire(orjson.loads(text))
        except (orjson.JSONDecodeError, WireError, TypeError, ValueError):
            self.res.outcomes[s, :] = Outcome.ERROR
            return
        self.res.outcomes[s, :] = self.task.judge_data(value, self.cases)
        self.res.metrics[s] = self.task.data_metrics(value)
        self.res.seconds[s, :] = dt / max(n_c, 1)

    def mark_rest(self, job: _Job, code: Outcome, msg: str) -> None:
        s = job.solution
        rest = job.positions[job.done :] if job.kind == "function" else range(len(self.cases))
        for pos in rest:
            self.res.outcomes[s, pos] = code
            self.res.messages[s][pos] = msg
        job.done = len(job.positions)

    def finish(
        self, wi: int, job: _Job, active: dict[int, tuple[int, _Job]], idle: list[int]
    ) -> None:
        """The child's pipe closed: settle the job and requeue what it did not reach."""
        self.sel.unregister(job.fd)
        os.close(job.fd)
        del active[job.fd]
        idle.append(wi)
        s = job.solution
        self.res.wall[s] += time.perf_counter() - job.started
        if job.done >= len(job.positions) or job.violated:
            return
        if not job.ready:
            # Died or hung before the source finished loading.
            self.dead[s] = True
            code = Outcome.TIMEOUT if job.killed_for_time else Outcome.ERROR
            self.mark_rest(job, code, "load: timed out" if job.killed_for_time else "load: died")
            return
        pos = job.positions[job.done] if job.kind == "function" else -1
        if job.kind == "data":
            self.mark_rest(job, Outcome.TIMEOUT if job.killed_for_time else Outcome.ERROR, "died")
            return
        if job.killed_for_time:
            self.res.outcomes[s, pos] = Outcome.TIMEOUT
            self.res.messages[s][pos] = f"no result within {self.task.time_limit:g} s"
            self.timeouts[s] += 1
        else:
            self.res.outcomes[s, pos] = Outcome.ERROR
            self.res.messages[s][pos] = "the process died"
        job.done += 1
        if job.done < len(job.positions):
            self.queue.appendleft(_Job(s, job.positions[job.done :], job.kind))


def _json_text(raw: bytes) -> str:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")[:300]
    return value if isinstance(value, str) else str(value)[:300]


def evaluate(
    task: Task, solutions: Sequence[str], cases: Sequence[Case], **options: Any
) -> EvalResult:
    """One-off evaluation with a temporary ``Sandbox(**options)``."""
    with Sandbox(**options) as box:
        return box.evaluate(task, solutions, cases)
