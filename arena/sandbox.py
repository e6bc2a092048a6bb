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
import select
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
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
_PASS, _FAIL, _ERROR, _TIMEOUT = (
    int(o) for o in (Outcome.PASS, Outcome.FAIL, Outcome.ERROR, Outcome.TIMEOUT)
)
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
    made: set[str] = set()
    for prefix in sorted(
        {os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)}
    ):
        if prefix.startswith("/usr/"):
            continue
        # bwrap would create the mount point's parents as 0700, unreadable after the uid drop.
        for parent in reversed(Path(prefix).parents[:-1]):
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
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


def others_can_read_stdlib() -> bool:
    """Whether an unprivileged uid can reach the standard library (mode bits of its path)."""
    stdlib = Path(os.path.realpath(os.path.dirname(os.__file__)))
    try:
        for directory in [*reversed(stdlib.parents), stdlib]:
            if not directory.stat().st_mode & 0o001:
                return False
        return bool(stdlib.stat().st_mode & 0o004)
    except OSError:
        return False


@dataclass
class EvalResult:
    """What an evaluation produced.

    outcomes: int8, shape (S, C), ``tasks.Outcome`` values.
    outputs: S lists of C canonical output texts (None where there was no output).
    messages: S lists of C error texts (None where there was no error).
    seconds: float32, shape (S, C), case durations as the worker measured them.
    wall: float64, shape (S,), wall seconds this process spent waiting on each solution.
    metrics: per solution, the task's ``data_metrics`` (data tasks only; else empty).
    values: per solution, the decoded constant (data tasks only; else None).
    """

    outcomes: np.ndarray
    outputs: list[list[str | None]]
    messages: list[list[str | None]]
    seconds: np.ndarray
    wall: np.ndarray
    metrics: list[dict[str, Any]] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)

    def pass_rates(self) -> np.ndarray:
        """Fraction of cases passed per solution, float64 shape (S,)."""
        if self.outcomes.shape[1] == 0:
            return np.zeros(self.outcomes.shape[0])
        rates: np.ndarray = (self.outcomes == Outcome.PASS).mean(axis=1)
        return rates


@dataclass
class _Child:
    """A forked candidate process: its result pipe, and its request pipe for sessions."""

    worker: int
    pid: int
    fd: int
    req: int = -1
    ready: bool = False
    buf: bytes = b""


@dataclass
class _Job:
    """Some cases of one solution, run by one child (or the single call of a proposer)."""

    solution: int
    positions: list[int]  # case indices this job covers, in order
    kind: str
    child: _Child | None = None
    started: float = 0.0
    done: int = 0  # how many of positions have a verdict
    finished: bool = False
    killed_for_time: bool = False
    violated: bool = False
    deadline: float = 0.0
    sent: bool = False  # session: the request frame was written
    careful: bool = False  # the child reports each case before starting the next


class _Worker:
    """One warm fork server (optionally inside bubblewrap)."""

    def __init__(self, index: int, root: str, isolation: str, drop_uid: bool) -> None:
        self.scratch = os.path.join(root, f"w{index}")
        os.makedirs(self.scratch, exist_ok=True)
        os.chmod(self.scratch, 0o711)
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

    def start(self, job_id: int, payload: dict[str, Any], timeout: float = 30.0) -> _Child:
        """Ask for a forked child running ``payload``."""
        self.send(("run", job_id, payload))
        self.sock.settimeout(timeout)
        try:
            data, fds, _flags, _addr = socket.recv_fds(self.sock, 4096, 2)
        finally:
            self.sock.settimeout(None)
        if not data or not fds:
            raise SandboxError("sandbox worker exited")
        (length,) = struct.unpack("!I", data[:4])
        kind, got_id, pid = orjson.loads(data[4 : 4 + length])
        if kind != "started" or got_id != job_id:
            raise SandboxError("sandbox worker answered out of order")
        os.set_blocking(fds[0], False)
        return _Child(-1, int(pid), fds[0], fds[1] if len(fds) > 1 else -1)

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
        chunk_size: int = 5000,
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
        # Root drops to ``nobody`` in each child, where nobody can still read the stdlib
        # (always under bwrap, which mounts it with readable parents).
        self.drop_uid = os.geteuid() == 0 and (isolation == "bwrap" or others_can_read_stdlib())
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

    def _worker(self, index: int) -> _Worker:
        """Worker ``index``, (re)started if it is not running."""
        if self._root is None:
            self._root = tempfile.mkdtemp(prefix="arena-sandbox-")
            os.chmod(self._root, 0o711)
            self._workers = [None] * self.n_workers
        w = self._workers[index]
        if w is None or not w.alive():
            if w is not None:
                w.close()
            w = self._workers[index] = _Worker(index, self._root, self.isolation, self.drop_uid)
        return w

    def _start(self, index: int, payload: dict[str, Any]) -> _Child:
        """Fork a child on worker ``index``; restart the worker if it has died."""
        for attempt in range(3):
            worker = self._worker(index)
            self._job_ids += 1
            try:
                child = worker.start(self._job_ids, payload)
                child.worker = index
                return child
            except (OSError, SandboxError, ValueError) as exc:
                worker.close()
                self._workers[index] = None
                if attempt == 2:
                    raise SandboxError(f"sandbox worker keeps failing: {exc}") from exc
        raise AssertionError("unreachable")

    def _kill(self, child: _Child) -> None:
        """Kill a child and release its pipes."""
        w = self._workers[child.worker] if child.worker < len(self._workers) else None
        if w is not None:
            w.kill_child(child.pid)
        for fd in (child.fd, child.req):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        child.fd = child.req = -1

    def _limits(self, task: Task, n_cases: int) -> dict[str, int]:
        return {
            "memory_bytes": self.memory_mb << 20,
            "cpu_seconds": math.ceil(_LOAD_SECONDS + task.time_limit * n_cases + 1),
            "file_bytes": 16 << 20,
        }

    # ---- evaluation --------------------------------------------------------------------

    def evaluate(self, task: Task, solutions: Sequence[str], cases: Sequence[Case]) -> EvalResult:
        """Run every solution on every case; return the outcome matrix and details.

        Raises SandboxError only if the workers themselves cannot be kept running; anything
        a candidate does ends as FAIL, ERROR or TIMEOUT in the matrix.
        """
        res = _empty_result(len(solutions), len(cases))
        if solutions and (cases or task.kind == "data"):
            _Run(self, task, solutions, cases, res).execute()
        return res

    def session(self, task: Task, solutions: Sequence[str]) -> Session:
        """Live children, one per solution, that evaluate case batches on demand.

        Cheaper than ``evaluate`` when the same solutions meet many small batches (a test
        agent's search): each solution is loaded once, and a batch costs one pipe round trip.
        """
        if task.kind != "function":
            raise SandboxError("sessions are for function tasks")
        return Session(self, task, solutions)

    def run_proposer(
        self,
        source: str,
        ctx: dict[str, Any],
        handler: Callable[[str, list[Any]], Any],
        *,
        idle_limit: float = 10.0,
        wall_limit: float = 120.0,
    ) -> ProposerRun:
        """Run ``propose(ctx)`` from ``source`` in a child; broker its ctx calls to ``handler``.

        ``ctx`` is the data half of agents.context.ContextData. ``handler(method, args)``
        answers "mutate", "crossover", "score" and "llm" with plain JSON values. The child is
        killed if it is silent for ``idle_limit`` seconds or runs past ``wall_limit``.
        """
        return _ProposerCall(self, source, ctx, handler, idle_limit, wall_limit).run()


def _empty_result(n_s: int, n_c: int) -> EvalResult:
    return EvalResult(
        outcomes=np.full((n_s, n_c), Outcome.NOT_RUN, dtype=np.int8),
        outputs=[[None] * n_c for _ in range(n_s)],
        messages=[[None] * n_c for _ in range(n_s)],
        seconds=np.zeros((n_s, n_c), dtype=np.float32),
        wall=np.zeros(n_s, dtype=np.float64),
        metrics=[{} for _ in range(n_s)],
        values=[None] * n_s,
    )


class Session:
    """Persistent children for a fixed list of solutions (see ``Sandbox.session``)."""

    def __init__(self, box: Sandbox, task: Task, solutions: Sequence[str]) -> None:
        self.box, self.task, self.solutions = box, task, list(solutions)
        self.children: list[_Child | None] = [None] * len(self.solutions)
        self.dead = [False] * len(self.solutions)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def evaluate(self, cases: Sequence[Case]) -> EvalResult:
        """Outcomes of every session solution on ``cases`` (same shapes as Sandbox.evaluate)."""
        res = _empty_result(len(self.solutions), len(cases))
        if self.solutions and cases:
            _Run(self.box, self.task, self.solutions, cases, res, session=self).execute()
        return res

    def close(self) -> None:
        """Kill every child of this session."""
        for i, child in enumerate(self.children):
            if child is not None:
                self.box._kill(child)
                self.children[i] = None


@dataclass
class ProposerRun:
    """What one ``propose(ctx)`` call returned: candidates, or why there are none."""

    candidates: list[str]
    error: str | None
    seconds: float
    calls: int


class _Run:
    """The scheduling loop of one evaluation (batch, or one request to a session)."""

    def __init__(
        self,
        box: Sandbox,
        task: Task,
        solutions: Sequence[str],
        cases: Sequence[Case],
        res: EvalResult,
        session: Session | None = None,
    ) -> None:
        self.box, self.task, self.solutions, self.cases, self.res = box, task, solutions, cases, res
        self.session = session
        self.timeouts = [0] * len(solutions)
        self.dead = session.dead if session is not None else [False] * len(solutions)
        self.queue: deque[_Job] = deque()
        n_c = len(cases)
        if task.kind == "data":
            for s in range(len(solutions)):
                self.queue.append(_Job(s, [-1], "data"))
        elif session is not None:
            for s in range(len(solutions)):
                self.queue.append(_Job(s, list(range(n_c)), "session"))
        else:
            # One child per solution when there are enough solutions to keep every worker
            # busy (a fork costs milliseconds); otherwise split each solution evenly.
            pieces = max(1, math.ceil(box.n_workers / len(solutions)))
            per = max(1, min(box.chunk_size, math.ceil(n_c / pieces)))
            for s in range(len(solutions)):
                for lo in range(0, n_c, per):
                    self.queue.append(_Job(s, list(range(lo, min(lo + per, n_c))), "function"))
        self.sel = selectors.DefaultSelector()
        self.active: dict[int, _Job] = {}
        self.busy = 0  # batch jobs running (bounded by the number of workers)

    def payload(self, job: _Job) -> dict[str, Any]:
        function = job.kind == "function"
        inputs = [self.cases[i].args for i in job.positions] if function else []
        return {
            "source": self.solutions[job.solution],
            "entry": self.task.entry_point,
            "kind": job.kind,
            "inputs": inputs,
            "careful": job.careful,
            "limits": self.box._limits(self.task, len(job.positions) if function else 1),
        }

    def execute(self) -> None:
        try:
            while self.queue or self.active:
                self.launch_ready()
                if not self.active:
                    continue
                events = self.sel.select(timeout=self.next_timeout())
                for key, _ in events:
                    job = self.active.get(key.fd)
                    if job is not None and self.read(job):
                        self.finish(job)
                now = time.perf_counter()
                for job in list(self.active.values()):
                    if now > job.deadline and not job.killed_for_time and job.child is not None:
                        job.killed_for_time = True
                        w = self.box._workers[job.child.worker]
                        if w is not None:
                            w.kill_child(job.child.pid)
        finally:
            for job in list(self.active.values()):
                self.drop(job)
            self.sel.close()

    def launch_ready(self) -> None:
        while self.queue:
            job = self.queue[0]
            if job.kind != "session" and self.busy >= self.box.n_workers:
                return
            self.queue.popleft()
            if self.skip_if_hopeless(job):
                continue
            self.launch(job)

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

    def launch(self, job: _Job) -> None:
        s = job.solution
        child = self.session.children[s] if self.session is not None else None
        if child is None:
            index = s % self.box.n_workers if self.session is not None else self.free_worker()
            child = self.box._start(index, self.payload(job))
            if self.session is not None:
                self.session.children[s] = child
        job.child = child
        job.started = time.perf_counter()
        job.deadline = job.started + _LOAD_SECONDS + self.task.time_limit
        if child.ready:
            self.send_request(job)
        if job.kind != "session":
            self.busy += 1
        self.active[child.fd] = job
        self.sel.register(child.fd, selectors.EVENT_READ)

    def free_worker(self) -> int:
        used = {j.child.worker for j in self.active.values() if j.child and j.kind != "session"}
        return next(i for i in range(self.box.n_workers) if i not in used)

    def send_request(self, job: _Job) -> None:
        """Session: write this job's inputs to the (ready) child."""
        assert job.child is not None
        inputs = [self.cases[i].args for i in job.positions]
        frame = pickle.dumps((job.careful, inputs), pickle.HIGHEST_PROTOCOL)
        if not _write_frame(job.child.req, frame, self.task.time_limit + _LOAD_SECONDS):
            w = self.box._workers[job.child.worker]
            if w is not None:
                w.kill_child(job.child.pid)
            job.killed_for_time = True
        job.sent = True
        job.deadline = time.perf_counter() + self.task.time_limit + _GRACE_SECONDS

    def next_timeout(self) -> float:
        deadlines = [j.deadline for j in self.active.values() if not j.killed_for_time]
        if not deadlines:
            return 1.0
        return max(0.0, min(deadlines) - time.perf_counter())

    def read(self, job: _Job) -> bool:
        """Consume what the child wrote; return True when the job is over."""
        child = job.child
        assert child is not None
        try:
            chunk = os.read(child.fd, 1 << 18)
        except BlockingIOError:
            return False
        if not chunk:
            return True
        if job.violated:
            return False
        data = child.buf + chunk
        lines = data.split(b"\n")
        child.buf = lines.pop()
        if len(child.buf) > _MAX_LINE:
            self.violation(job, "result line too long")
            return False
        for line in lines:
            if not self.handle(job, line):
                self.violation(job, "malformed result message")
                return False
            if job.finished and job.kind == "session":
                return True
        if lines:
            job.deadline = time.perf_counter() + self.task.time_limit + _GRACE_SECONDS
        return False

    def violation(self, job: _Job, why: str) -> None:
        job.violated = True
        self.mark_rest(job, Outcome.ERROR, f"protocol violation: {why}")
        if job.child is not None:
            w = self.box._workers[job.child.worker]
            if w is not None:
                w.kill_child(job.child.pid)

    def handle(self, job: _Job, line: bytes) -> bool:
        """Apply one result line; False if it does not follow the protocol."""
        s = job.solution
        child = job.child
        assert child is not None
        if not child.ready:
            if line == b"R":
                child.ready = True
                if job.kind == "session":
                    self.send_request(job)
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
        if job.kind == "session" and not job.sent:
            return False
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
                res.outcomes[s, pos] = _TIMEOUT
                self.timeouts[s] += 1
            elif text == self.cases[pos].expected_wire or self.task.outputs_match(
                self.cases[pos].expected_wire, text
            ):
                res.outcomes[s, pos] = _PASS
            else:
                res.outcomes[s, pos] = _FAIL
        elif tag == b"X":
            res.messages[s][pos] = _json_text(payload)
            res.outcomes[s, pos] = _ERROR
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
        self.res.values[s] = value
        if self.cases:
            self.res.outcomes[s, :] = self.task.judge_data(value, self.cases)
        self.res.metrics[s] = self.task.data_metrics(value)
        self.res.seconds[s, :] = dt / max(n_c, 1)

    def mark_rest(self, job: _Job, code: Outcome, msg: str) -> None:
        s = job.solution
        rest = job.positions[job.done :] if job.kind != "data" else range(len(self.cases))
        for pos in rest:
            self.res.outcomes[s, pos] = code
            self.res.messages[s][pos] = msg
        job.done = len(job.positions)

    def drop(self, job: _Job) -> None:
        """Stop watching a job's child; kill it unless it is a healthy session child."""
        child = job.child
        assert child is not None
        if child.fd in self.active:
            self.sel.unregister(child.fd)
            del self.active[child.fd]
        if job.kind != "session":
            self.busy -= 1
        healthy = job.kind == "session" and job.finished and not job.violated
        if not healthy:
            self.box._kill(child)
            if self.session is not None and self.session.children[job.solution] is child:
                self.session.children[job.solution] = None

    def finish(self, job: _Job) -> None:
        """The job is over (its pipe closed, or its session batch ended): settle it."""
        self.drop(job)
        s = job.solution
        self.res.wall[s] += time.perf_counter() - job.started
        if job.done >= len(job.positions) or job.violated:
            return
        child = job.child
        assert child is not None
        if not child.ready:
            # Died or hung before the source finished loading.
            self.dead[s] = True
            code = Outcome.TIMEOUT if job.killed_for_time else Outcome.ERROR
            self.mark_rest(job, code, "load: timed out" if job.killed_for_time else "load: died")
            return
        if job.kind == "data":
            self.mark_rest(job, Outcome.TIMEOUT if job.killed_for_time else Outcome.ERROR, "died")
            return
        rest = job.positions[job.done :]
        if job.killed_for_time:
            self.timeouts[s] += 1
        if not job.careful:
            # Results the child had not flushed yet are lost: run the rest again, reporting
            # case by case, so that the guilty case is known exactly.
            self.queue.appendleft(_Job(s, rest, job.kind, careful=True))
            return
        pos = rest[0]
        if job.killed_for_time:
            self.res.outcomes[s, pos] = Outcome.TIMEOUT
            self.res.messages[s][pos] = f"no result within {self.task.time_limit:g} s"
        else:
            self.res.outcomes[s, pos] = Outcome.ERROR
            self.res.messages[s][pos] = "the process died"
        if len(rest) > 1:
            self.queue.appendleft(_Job(s, rest[1:], job.kind, careful=True))


class _ProposerCall:
    """One brokered ``propose(ctx)`` call in a child."""

    def __init__(
        self,
        box: Sandbox,
        source: str,
        ctx: dict[str, Any],
        handler: Callable[[str, list[Any]], Any],
        idle_limit: float,
        wall_limit: float,
    ) -> None:
        self.box, self.source, self.ctx, self.handler = box, source, ctx, handler
        self.idle_limit, self.wall_limit = idle_limit, wall_limit
        self.calls = 0

    def run(self) -> ProposerRun:
        payload = {
            "source": self.source,
            "entry": "propose",
            "kind": "propose",
            "inputs": [],
            "ctx": self.ctx,
            "limits": {
                "memory_bytes": self.box.memory_mb << 20,
                "cpu_seconds": int(self.wall_limit) + 1,
                "file_bytes": 16 << 20,
            },
        }
        start = time.perf_counter()
        child = self.box._start(0, payload)
        try:
            candidates, error = self.loop(child, start)
        finally:
            self.box._kill(child)
        return ProposerRun(candidates, error, time.perf_counter() - start, self.calls)

    def loop(self, child: _Child, start: float) -> tuple[list[str], str | None]:
        deadline = start + _LOAD_SECONDS + self.idle_limit
        hard = start + self.wall_limit
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(child.fd, selectors.EVENT_READ)
            while True:
                now = time.perf_counter()
                if now > min(deadline, hard):
                    return [], "propose() timed out"
                if not sel.select(timeout=min(deadline, hard) - now):
                    continue
                try:
                    chunk = os.read(child.fd, 1 << 18)
                except BlockingIOError:
                    continue
                if not chunk:
                    return [], "propose() process died"
                lines = (buf + chunk).split(b"\n")
                buf = lines.pop()
                if len(buf) > 4 * _MAX_LINE:
                    return [], "protocol violation: line too long"
                for line in lines:
                    outcome = self.line(child, line)
                    if outcome is not None:
                        return outcome
                deadline = time.perf_counter() + self.idle_limit

    def line(self, child: _Child, line: bytes) -> tuple[list[str], str | None] | None:
        """Handle one line; a (candidates, error) pair once the call is over."""
        if line == b"R" or line == b"D":
            return None
        if line.startswith(b"L\t"):
            return [], "load: " + _json_text(line[2:])
        if line.startswith(b"Q\t"):
            try:
                method, args = orjson.loads(line[2:])
            except (orjson.JSONDecodeError, ValueError, TypeError):
                return [], "protocol violation: malformed ctx call"
            self.calls += 1
            try:
                reply = self.handler(str(method), list(args) if isinstance(args, list) else [])
            except Exception:  # arguments from untrusted code must not crash the arena
                reply = None
            frame = orjson.dumps(reply)
            if not _write_frame(child.req, frame, self.idle_limit):
                return [], "propose() stopped reading ctx replies"
            return None
        parts = line.split(b"\t", 4)
        if len(parts) != 5 or parts[0] != b"0":
            return [], "protocol violation: malformed result"
        if parts[1] == b"X":
            return [], "propose() raised " + _json_text(parts[4])
        try:
            value = from_wire(orjson.loads(parts[4]))
        except (orjson.JSONDecodeError, WireError, TypeError, ValueError):
            return [], "propose() returned something that is not plain data"
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return [], "propose() must return a list of str"
        return list(value), None


def _write_frame(fd: int, frame: bytes, timeout: float) -> bool:
    """Write a length-prefixed frame to a pipe within ``timeout`` seconds."""
    data = memoryview(struct.pack("!I", len(frame)) + frame)
    end = time.perf_counter() + timeout
    os.set_blocking(fd, False)
    while data:
        try:
            data = data[os.write(fd, data) :]
        except BlockingIOError:
            left = end - time.perf_counter()
            if left <= 0:
                return False
            select.select([], [fd], [], left)
        except OSError:
            return False
    return True


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
