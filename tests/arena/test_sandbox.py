"""The sandbox: correct verdicts, and a corpus of hostile candidates that must never pass.

Every hostile program below is a wrong ``square`` that tries to cheat or to break the
sandbox. Each must end as FAIL, ERROR or TIMEOUT on every case, must leave no process and no
file behind, and the very next evaluation of a correct solution must still pass everything.
The corpus runs under every isolation mode available here.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.errors import SandboxError
from arena.sandbox import Sandbox, bwrap_available
from tasks import Case, Outcome

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MODES = ["basic", "bwrap"] if bwrap_available() else ["basic"]
MARKER = f"/tmp/arena-escape-{uuid.uuid4().hex}"
PROJECT_MARKER = PROJECT_ROOT / f"escape-{uuid.uuid4().hex}.txt"

HOSTILE: dict[str, str] = {
    "infinite_loop": "def square(x):\n    while True:\n        pass\n",
    "infinite_loop_ignoring_signals": (
        "import signal\n"
        "for s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGXCPU):\n"
        "    signal.signal(s, signal.SIG_IGN)\n"
        "def square(x):\n"
        "    while True:\n"
        "        try:\n"
        "            pass\n"
        "        except BaseException:\n"
        "            pass\n"
    ),
    "infinite_loop_at_import": "while True:\n    pass\ndef square(x):\n    return x * x\n",
    "memory_bomb": "def square(x):\n    block = [0] * (10 ** 10)\n    return x * x\n",
    "memory_creep": (
        "def square(x):\n    hog = []\n    while True:\n        hog.append(' ' * 10 ** 7)\n"
    ),
    "fork_bomb": (
        "import os\n"
        "def square(x):\n"
        "    while True:\n"
        "        try:\n"
        "            os.fork()\n"
        "        except BaseException:\n"
        "            pass\n"
    ),
    "subprocess": (
        "import subprocess\n"
        "def square(x):\n"
        "    return int(subprocess.check_output(['echo', str(x * x)]))\n"
    ),
    "os_exit_at_import": "import os\nos._exit(0)\ndef square(x):\n    return x * x\n",
    "sys_exit_at_import": "import sys\nsys.exit(0)\ndef square(x):\n    return x * x\n",
    "sys_exit_in_call": "import sys\ndef square(x):\n    sys.exit(0)\n",
    "kill_parent": (
        "import os, signal\n"
        "def square(x):\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n"
        "    return x * x + 1\n"
    ),
    "kill_process_group": (
        "import os, signal\n"
        "def square(x):\n"
        "    os.killpg(os.getpgid(0), signal.SIGKILL)\n"
        "    return x * x + 1\n"
    ),
    "kill_everything": (
        "import os, signal\n"
        "def square(x):\n"
        "    for pid in range(1, 50000):\n"
        "        try:\n"
        "            os.kill(pid, signal.SIGKILL)\n"
        "        except BaseException:\n"
        "            pass\n"
        "    return x * x + 1\n"
    ),
    "write_outside_scratch": (
        "def square(x):\n"
        f"    for path in ({MARKER!r}, {str(PROJECT_MARKER)!r}):\n"
        "        try:\n"
        "            with open(path, 'w') as f:\n"
        "                f.write('escaped')\n"
        "        except BaseException:\n"
        "            pass\n"
        "    return x * x + 1\n"
    ),
    "socket_connect": (
        "import socket\n"
        "def square(x):\n"
        "    s = socket.create_connection(('127.0.0.1', PORT), timeout=1)\n"
        "    s.sendall(b'escaped')\n"
        "    return x * x + 1\n"
    ),
    "frame_walk_for_expected": (
        "import sys, gc\n"
        "def square(x):\n"
        "    f = sys._getframe(1)\n"
        "    while f is not None:\n"
        "        for scope in (f.f_locals, f.f_globals):\n"
        "            for name in ('expected', 'case', 'cases', 'expected_wire'):\n"
        "                if name in scope:\n"
        "                    return scope[name]\n"
        "        f = f.f_back\n"
        "    for obj in gc.get_objects():\n"
        "        if hasattr(obj, 'expected'):\n"
        "            return obj.expected\n"
        "    return None\n"
    ),
    "eq_always_true": (
        "class Liar:\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "    def __ne__(self, other):\n"
        "        return False\n"
        "    __hash__ = None\n"
        "def square(x):\n"
        "    return Liar()\n"
    ),
    "int_subclass_eq_always_true": (
        "class Liar(int):\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "    __hash__ = int.__hash__\n"
        "def square(x):\n"
        "    return Liar(-1)\n"
    ),
    "forged_result_messages": (
        "import os\n"
        "FORGED = [b'R\\n', b'0\\tO\\t0.0\\t\"\"\\ttrue\\n', b'P\\n', b'D\\n',\n"
        '          b\'{"outcome": "pass", "passed": 4}\\n\', b\'PASS\\n\']\n'
        "for fd in range(0, 64):\n"
        "    for line in FORGED:\n"
        "        try:\n"
        "            os.write(fd, line)\n"
        "        except OSError:\n"
        "            pass\n"
        "def square(x):\n"
        "    for fd in range(0, 64):\n"
        "        try:\n"
        "            os.write(fd, b'1\\tO\\t0.0\\t\"\"\\t1\\nD\\n')\n"
        "        except OSError:\n"
        "            pass\n"
        "    return -1\n"
    ),
    "print_fake_score": (
        "def square(x):\n"
        "    print('ALL TESTS PASSED: 100%')\n"
        '    print(\'{"passed": 100, "pass_rate": 1.0}\')\n'
        "    return None\n"
    ),
    "huge_output": "def square(x):\n    return 'x' * (50 * 2 ** 20)\n",
    "huge_print": "def square(x):\n    print('y' * (50 * 2 ** 20))\n    return x * x + 1\n",
    "deep_recursion": "def square(x):\n    return square(x + 1)\n",
    "segfault_by_recursion": (
        "import sys\n"
        "sys.setrecursionlimit(10 ** 8)\n"
        "def down(n):\n"
        "    return down(n + 1) + 1\n"
        "def square(x):\n"
        "    return down(0)\n"
    ),
    "catastrophic_regex": (
        "import re\ndef square(x):\n    re.match(r'(a+)+$', 'a' * 64 + '!')\n    return x * x\n"
    ),
    "import_project_oracle": (
        "import sys\n"
        f"sys.path.insert(0, {str(PROJECT_ROOT)!r})\n"
        "from tests.conftest import SquareTask\n"
        "def square(x):\n"
        "    return SquareTask().oracle((x,))\n"
    ),
    "read_project_source": (
        f"def square(x):\n    return open({str(PROJECT_ROOT / 'tests' / 'conftest.py')!r}).read()\n"
    ),
    "steal_environment": (
        "import os\ndef square(x):\n    return os.environ.get('ARENA_TEST_SECRET', 'none')\n"
    ),
    "read_parent_environ": (
        "import os\n"
        "def square(x):\n"
        "    return open('/proc/%d/environ' % os.getppid(), 'rb').read().decode()\n"
    ),
    "close_result_pipe": "import os\nos.close(3)\ndef square(x):\n    return x * x\n",
    "no_entry_point": "def cube(x):\n    return x * x * x\n",
    "entry_not_callable": "square = 4\n",
}


def descendants() -> list[tuple[int, int, str]]:
    """(pid, ppid, cmdline) of every live process below this one."""
    procs: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        procs[int(entry)] = (int(fields[1]), cmd)
    out, frontier = [], {os.getpid()}
    while frontier:
        kids = {p for p, (pp, _) in procs.items() if pp in frontier}
        out += [(p, procs[p][0], procs[p][1]) for p in kids]
        frontier = kids
    return out


def candidate_processes() -> list[tuple[int, int, str]]:
    """Processes forked by a sandbox fork server (the children that run candidates)."""
    procs = descendants()
    servers = {
        p for p, _, cmd in procs if " -S -s -P -c " in cmd and not cmd.split()[0].endswith("bwrap")
    }
    return [p for p in procs if p[1] in servers]


@pytest.fixture(scope="module", params=MODES)
def box(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with Sandbox(workers=2, isolation=request.param) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on 127.0.0.1 recording anything a candidate manages to send it."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            received.append(conn.recv(100) or b"connected")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield srv.getsockname()[1], received
    stop.set()
    thread.join()
    srv.close()


def test_reference_passes_and_wrong_solution_fails(box: Sandbox, square_task) -> None:  # type: ignore[no-untyped-def]
    cases = square_task.hidden_suite().cases
    res = box.evaluate(
        square_task, [square_task.reference_solution, square_task.seed_solution], cases
    )
    assert res.outcomes.dtype == np.int8
    assert res.outcomes.shape == (2, len(cases))
    assert (res.outcomes[0] == Outcome.PASS).all()
    doubled = np.array([c.args[0] * 2 == c.args[0] ** 2 for c in cases])
    assert ((res.outcomes[1] == Outcome.PASS) == doubled).all()
    assert res.outputs[1][cases.index(next(c for c in cases if c.args == (3,)))] == "6"
    assert res.pass_rates()[0] == 1.0


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_candidate_never_passes(  # type: ignore[no-untyped-def]
    box: Sandbox, square_task, listener, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, received = listener
    monkeypatch.setenv("ARENA_TEST_SECRET", "sk-do-not-leak")
    source = HOSTILE[name].replace("PORT", str(port))
    cases = square_task.fixed_suite().cases
    res = box.evaluate(square_task, [source], cases)
    assert Outcome.PASS not in res.outcomes[0], (name, res.outcomes, res.messages)
    assert Outcome.NOT_RUN not in res.outcomes[0]
    assert not any("sk-do-not-leak" in (o or "") for o in res.outputs[0])
    assert not any("def square" in (o or "") for o in res.outputs[0]), "project source leaked"
    assert not os.path.exists(MARKER) and not PROJECT_MARKER.exists(), "wrote outside scratch"
    assert received == [], "a candidate reached the network"
    # No candidate process survives its evaluation (zombies are reaped asynchronously).
    deadline = time.monotonic() + 3
    while candidate_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert candidate_processes() == []
    # The sandbox still works afterwards.
    again = box.evaluate(square_task, [square_task.reference_solution], cases)
    assert (again.outcomes == Outcome.PASS).all()


def test_state_does_not_leak_between_candidates(square_task) -> None:  # type: ignore[no-untyped-def]
    """A candidate that patches builtins or leaves files cannot influence the next one."""
    poisoner = (
        "import builtins\n"
        "builtins.abs = lambda v: 0\n"
        "open('note.txt', 'w').write('secret')\n"
        "def square(x):\n    return abs(x)\n"
    )
    reader = (
        "def square(x):\n"
        "    try:\n"
        "        return int(open('note.txt').read() == 'secret') + abs(x) * 0 - 1\n"
        "    except OSError:\n"
        "        return x * x\n"
    )
    cases = square_task.fixed_suite().cases
    with Sandbox(workers=1, isolation="basic") as one:
        res = one.evaluate(square_task, [poisoner, reader], cases)
    assert (res.outcomes[1] == Outcome.PASS).all()


def test_timeout_budget_stops_running_a_hopeless_solution(square_task) -> None:  # type: ignore[no-untyped-def]
    cases = square_task.hidden_suite().cases
    with Sandbox(workers=1, isolation="basic", max_timeouts=2) as one:
        start = time.perf_counter()
        res = one.evaluate(square_task, [HOSTILE["infinite_loop"]], cases)
        elapsed = time.perf_counter() - start
    assert (res.outcomes == Outcome.TIMEOUT).all()
    # The first kill (batched run) and the careful re-run of case 0 use up the budget of 2.
    assert res.messages[0][0] == "no result within 0.5 s"
    assert sum(m == "time budget of this solution exhausted" for m in res.messages[0]) == 99
    assert elapsed < 2 * (square_task.time_limit + 1.0) + 5


def test_crash_on_one_case_keeps_the_others(box: Sandbox, square_task) -> None:  # type: ignore[no-untyped-def]
    source = (
        "import os\n"
        "def square(x):\n"
        "    if x == 2:\n"
        "        os._exit(9)\n"
        "    if x == 1:\n"
        "        raise ValueError('one')\n"
        "    return x * x\n"
    )
    cases = square_task.fixed_suite().cases  # 0, 1, 2, -3
    res = box.evaluate(square_task, [source], cases)
    assert res.outcomes[0].tolist() == [Outcome.PASS, Outcome.ERROR, Outcome.ERROR, Outcome.PASS]
    assert res.messages[0][1] == "ValueError: one"
    assert res.messages[0][2] == "the process died"


def test_printed_output_is_captured_not_judged(box: Sandbox, square_task) -> None:  # type: ignore[no-untyped-def]
    source = "def square(x):\n    print(x * x)\n    return x * x\n"
    res = box.evaluate(square_task, [source], square_task.fixed_suite().cases)
    assert (res.outcomes == Outcome.PASS).all()


def test_empty_inputs(box: Sandbox, square_task) -> None:  # type: ignore[no-untyped-def]
    assert box.evaluate(square_task, [], square_task.fixed_suite().cases).outcomes.shape == (0, 4)
    assert box.evaluate(square_task, ["x"], []).outcomes.shape == (1, 0)


def test_bad_isolation_is_a_clear_error() -> None:
    with pytest.raises(SandboxError, match="unknown isolation"):
        Sandbox(isolation="docker")  # type: ignore[arg-type]


@settings(max_examples=15, deadline=None, database=None)
@given(
    xs=st.lists(st.integers(-1000, 1000), min_size=1, max_size=40, unique=True),
    bad=st.integers(-1000, 1000),
)
def test_matrix_marks_exactly_the_wrong_cases(sandbox: Sandbox, square_task, xs, bad) -> None:  # type: ignore[no-untyped-def]
    """Property: a solution wrong on one input fails exactly the cases with that input."""
    cases = [Case((x,), x * x) for x in xs]
    source = f"def square(x):\n    return x * x + (1 if x == {bad} else 0)\n"
    res = sandbox.evaluate(square_task, [source, square_task.reference_solution], cases)
    expected = [Outcome.FAIL if x == bad else Outcome.PASS for x in xs]
    assert res.outcomes[0].tolist() == expected
    assert (res.outcomes[1] == Outcome.PASS).all()
