"""What users do that the rest of the suite does not: fresh processes, a cold and a warm cache, Ctrl-C, pools.

Each test runs fastlr in child interpreters (``tests/process_worker.py`` or
a short script), so that a segfault, an abort or a hang fails the test
instead of killing pytest:

- numba's on-disk cache, cold and warm, in every order: every compiled
  kernel, gradient, training and the Newton solver's Hessian pass, C, F and
  strided X, CSC and CSR sparse X,
  float32 and float64,
  each first compiled in one process and then loaded in others, alone and
  in the reverse order, with the call sequence that once crashed;
- Ctrl-C during long compiled calls: ``KeyboardInterrupt`` within about a
  second (not a ``SystemError``), and the CLI exiting 130 with one line;
- pools whose workers call fastlr after the parent used ``numba-parallel``:
  fork, spawn, forkserver and loky.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import fastlr

WORKER = Path(__file__).with_name("process_worker.py")
COMPILED = [name for name in ("numba", "numba-parallel") if name in fastlr.available_kernels()]
pytestmark = pytest.mark.skipif(not COMPILED, reason="numba is not installed")


def _have_tbb() -> bool:
    from importlib import metadata

    try:
        metadata.distribution("tbb")
    except metadata.PackageNotFoundError:
        return False
    return True


#: Whether the ``tbb`` package (fastlr's threading layer) is installed here.
HAVE_TBB = _have_tbb()

#: Every compiled call a user can make, in one order.
OPS = [
    f"{what}:{kernel}:{layout}:{dtype}"
    for what in ("gradient", "train", "softmax", "newton")
    for kernel in COMPILED
    for layout in ("C", "F", "strided")
    for dtype in ("float64", "float32")
] + [
    f"sparse-{what}:{kernel}:{layout}:{dtype}"
    for what in ("gradient", "softmax", "train")
    for kernel in COMPILED
    for layout in ("csc", "csr")
    for dtype in ("float64", "float32")
] + [  # the L1 solver's compiled inner solves do not depend on X's layout or dtype
    f"{what}:{kernel}:{layout}:float64"
    for what, layout in (("l1", "C"), ("sparse-l1", "csc"))
    for kernel in COMPILED
]


def _child_env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = str(cache)
    env["PYTHONFAULTHANDLER"] = "1"
    return env


def _run_worker(cache: Path, *ops: str, timeout: float = 600) -> None:
    done = subprocess.run([sys.executable, str(WORKER), *ops], env=_child_env(cache),
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (
        f"{' '.join(ops)} exited {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr[-4000:]}"
    )


def _groups(ops: list[str]) -> list[list[str]]:
    """The ops grouped by what and kernel (a few compiles each), in their order."""
    groups: dict[tuple[str, str], list[str]] = {}
    for op in ops:
        what, kernel = op.split(":")[:2]
        groups.setdefault((what, kernel), []).append(op)
    return list(groups.values())


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    """A numba cache filled cold, one process per op and kernel (each with its own time limit,
    so a machine busy with other work slows the fill without failing it)."""
    cache = tmp_path_factory.mktemp("numba-cache")
    for group in _groups(OPS):
        _run_worker(cache, *group)
    return cache


def test_warm_cache_every_op_alone(warm_cache):
    """Each compiled call first in a fresh process, loading what another process compiled."""
    for op in OPS:
        _run_worker(warm_cache, op)


def test_warm_cache_reverse_order(warm_cache):
    _run_worker(warm_cache, *reversed(OPS))


def test_cold_cache_sequence_that_crashed(tmp_path):
    """Parallel gradient on strided X, then training with numba twice, each in its own process.

    The third process crashed with SIGSEGV when a cached one-thread training
    loop could reach the parallel pass (numba issue #8578).
    """
    if "numba-parallel" not in COMPILED:
        pytest.skip("needs numba-parallel")
    _run_worker(tmp_path, "gradient:numba-parallel:strided:float64")
    _run_worker(tmp_path, "train:numba:strided:float64")
    _run_worker(tmp_path, "train:numba:strided:float64")
    _run_worker(tmp_path, "estimator:numba:F:float64", "estimator:numba-parallel:F:float64")
    _run_worker(tmp_path, "estimator:numba-parallel:F:float64", "estimator:numba:F:float64")


# -- Ctrl-C ----------------------------------------------------------------------

_INTERRUPTED = textwrap.dedent("""
    import sys, time, warnings
    import numpy as np
    import fastlr

    what, kernel = sys.argv[1], sys.argv[2]
    X = np.random.default_rng(0).standard_normal((200, 40_000))
    y = (X[0] > 0).astype(float)
    warnings.simplefilter("ignore")

    def long_call():
        if what == "train":
            fastlr.train(X, y, kernel=kernel, max_iter=10**7, tol=0.0, learning_rate=0.01)
        elif what == "estimator":
            fastlr.LogisticRegression(solver="gd", kernel=kernel, max_iter=10**7, tol=0.0,
                                      learning_rate=0.01).fit(X.T, y)
        else:
            for _ in range(10**7):
                fastlr.gradient(np.zeros(200), 0.0, X, y, kernel=kernel)

    fastlr.train(X, y, kernel=kernel, max_iter=2, learning_rate=0.01)   # compile first
    fastlr.gradient(np.zeros(200), 0.0, X, y, kernel=kernel)
    print("ready", flush=True)
    try:
        long_call()
    except KeyboardInterrupt:
        print("KeyboardInterrupt", time.perf_counter(), flush=True)
    except BaseException as error:
        print("wrong", type(error).__name__, repr(error.__cause__), flush=True)
    else:
        print("finished", flush=True)
""")


def _line(child: subprocess.Popen, timeout: float = 600) -> str:
    """The child's next line of output, or a failure once ``timeout`` s pass without one (a hang
    fails the test instead of the run). A thread reads the pipe, so that lines already buffered
    are never waited for; :func:`_finish` collects the rest."""
    if not hasattr(child, "lines"):
        child.lines = queue.Queue()
        child.reader = threading.Thread(
            target=lambda: [child.lines.put(line) for line in iter(child.stdout.readline, "")],
            daemon=True)
        child.reader.start()
    try:
        return child.lines.get(timeout=timeout)
    except queue.Empty:
        child.kill()
        pytest.fail(f"no output from the child in {timeout} s")


def _finish(child: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """Wait for the child to exit; ``(the output not yet read by _line, its stderr)``."""
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        pytest.fail(f"the child did not exit within {timeout} s")
    if not hasattr(child, "lines"):
        return child.stdout.read(), child.stderr.read()
    child.reader.join(timeout=60)
    rest = []
    while not child.lines.empty():
        rest.append(child.lines.get())
    return "".join(rest), child.stderr.read()


def _close(child: subprocess.Popen) -> None:
    """Kill the child if it still runs, reap it, and close its pipes."""
    if child.poll() is None:
        child.kill()
    child.wait()
    if hasattr(child, "reader"):
        child.reader.join(timeout=60)
    child.stdout.close()
    child.stderr.close()


def _interrupt(command: list[str], cache: Path, delay: float = 1.0, ready: bool = True):
    """Start ``command``, wait for its "ready" line (or ``delay`` s), send SIGINT; (signal time, output, status)."""
    # SIGINT back to its default in the child, as at a terminal: a runner that
    # starts the suite in the background passes it on ignored (Python then
    # installs no KeyboardInterrupt handler).
    child = subprocess.Popen(command, env=_child_env(cache), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        if ready:
            line = _line(child)
            assert line.strip() == "ready", line + child.stderr.read()
        time.sleep(delay)
        sent = time.perf_counter()
        child.send_signal(signal.SIGINT)
        out, err = _finish(child, 60)
    finally:
        _close(child)
    return sent, out, err, child.returncode


@pytest.mark.parametrize("what", ["train", "estimator", "gradient"])
@pytest.mark.parametrize("kernel", COMPILED)
def test_ctrl_c_stops_a_compiled_call_within_a_second(warm_cache, what, kernel):
    sent, out, err, status = _interrupt([sys.executable, "-c", _INTERRUPTED, what, kernel], warm_cache)
    words = out.split()
    assert status == 0 and words[:1] == ["KeyboardInterrupt"], out + err
    # perf_counter is system-wide on Linux (CLOCK_MONOTONIC): the two processes share it.
    assert float(words[1]) - sent < 2.0, f"KeyboardInterrupt {float(words[1]) - sent:.2f} s after SIGINT"


#: Each long call a user can interrupt, by name: one op, or a fit, repeated until SIGINT.
_EVERY_OP_INTERRUPTED = textwrap.dedent("""
    import sys, time, warnings
    import numpy as np
    import scipy.sparse as sp
    import fastlr
    import fastlr.cli

    kernel, names = sys.argv[1], sys.argv[2].split(",")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 40_000))
    y = (X[0] > 0).astype(float)
    labels = np.argmax(X[:5], axis=0)
    S = sp.random_array((2_000, 40_000), density=0.02, format="csc", rng=rng)
    H = fastlr.get_kernel(kernel).binary_hessian
    warnings.simplefilter("ignore")

    calls = {
        "gradient": lambda: fastlr.gradient(np.zeros(100), 0.0, X, y, kernel=kernel),
        "softmax": lambda: fastlr.softmax_gradient(np.zeros((5, 100)), 0.0, X, labels, kernel=kernel),
        "sparse-gradient-csc": lambda: fastlr.gradient(np.zeros(2_000), 0.0, S, y, kernel=kernel),
        "sparse-softmax-csc": lambda: fastlr.softmax_gradient(np.zeros((5, 2_000)), 0.0, S, labels,
                                                              kernel=kernel),
        "sparse-softmax-csr": lambda: fastlr.softmax_gradient(np.zeros((5, 2_000)), 0.0, S.tocsr(),
                                                              labels, kernel=kernel),
        "hessian": lambda: H(np.zeros(100), 0.0, X, y, None),
        "fit-5-classes": lambda: fastlr.LogisticRegression(kernel=kernel).fit(X.T, labels),
        "train-5-classes-lbfgs": lambda: fastlr.train(X, labels, n_classes=5, solver="lbfgs",
                                                      kernel=kernel),
        "fit-newton-cholesky": lambda: fastlr.LogisticRegression(solver="newton-cholesky",
                                                                 kernel=kernel).fit(X.T, y),
        "fit-l1": lambda: fastlr.LogisticRegression(solver="prox-newton", l1_ratio=1.0, C=0.01,
                                                    tol=1e-12, kernel=kernel).fit(X.T, y),
        "fit-l1-5-classes-sparse": lambda: fastlr.LogisticRegression(
            solver="prox-newton", l1_ratio=0.5, C=0.1, tol=1e-12, kernel=kernel).fit(S.T.tocsr(),
                                                                                      labels),
    }
    for name in names:
        calls[name]()  # compiled (or loaded from the cache) before the clock starts
    for name in names:
        print("ready", name, flush=True)
        try:
            while True:
                calls[name]()
        except KeyboardInterrupt:
            print("KeyboardInterrupt", name, time.perf_counter(), flush=True)
        except BaseException as error:
            print("wrong", name, type(error).__name__, repr(error)[:300].replace(chr(10), " "),
                  flush=True)
""")

#: The long calls :data:`_EVERY_OP_INTERRUPTED` makes; the sparse ones by each format's own pass.
_LONG_CALLS = ["gradient", "softmax", "sparse-gradient-csc", "sparse-softmax-csc", "sparse-softmax-csr",
               "hessian", "fit-5-classes", "train-5-classes-lbfgs", "fit-newton-cholesky", "fit-l1",
               "fit-l1-5-classes-sparse"]


@pytest.mark.parametrize("kernel", COMPILED)
def test_ctrl_c_stops_every_compiled_op_as_a_keyboard_interrupt(warm_cache, kernel):
    """SIGINT while each op or fit runs (dense, CSC, CSR, Hessian, K classes, Newton, L1): a
    ``KeyboardInterrupt`` within about a second, never a ``SystemError`` (however deep numba
    wraps it). One process runs every call in turn, each signalled once it reports it has started."""
    child = subprocess.Popen([sys.executable, "-c", _EVERY_OP_INTERRUPTED, kernel, ",".join(_LONG_CALLS)],
                             env=_child_env(warm_cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    outcomes = []
    try:
        for name in _LONG_CALLS:
            line = _line(child)
            assert line.split() == ["ready", name], line + child.stderr.read()[-3000:]
            time.sleep(0.3)  # inside the loop of calls: nearly all of its time is compiled code
            sent = time.perf_counter()
            child.send_signal(signal.SIGINT)
            words = _line(child, 60).split()
            outcomes.append((name, words[:2], float(words[2]) - sent if words[:1] == ["KeyboardInterrupt"]
                             else " ".join(words)))
        _finish(child, 120)
    finally:
        _close(child)
    wrong = [outcome for outcome in outcomes if outcome[1] != ["KeyboardInterrupt", outcome[0]]]
    assert not wrong, wrong
    slow = [(name, seconds) for name, _, seconds in outcomes if seconds > 2.0]
    assert not slow, f"KeyboardInterrupt more than 2 s after SIGINT: {slow}"
    assert child.returncode == 0


_INTERRUPTED_COMPILE = textwrap.dedent("""
    import signal, sys, time, warnings
    import numpy as np
    import fastlr
    from numba.core import event

    class Started(event.Listener):  # tells the test numba has begun to compile
        def on_start(self, _event):
            if not getattr(self, "told", False):
                self.told = True
                print("compiling", flush=True)

        def on_end(self, _event):
            pass

    event.register("numba:compile", Started())
    X = np.random.default_rng(0).standard_normal((20, 3_000))
    y = (X[0] > 0).astype(float)
    warnings.simplefilter("ignore")
    print("ready", flush=True)
    try:
        fastlr.train(X, y, kernel="numba", max_iter=10**7, tol=0.0, learning_rate=0.01)
    except KeyboardInterrupt:
        print("KeyboardInterrupt", signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    except BaseException as error:
        print("wrong", type(error).__name__, error)
""")


@pytest.mark.parametrize("after", [0.0, 0.5, 1.5, 3.0])  # seconds after the compile began
def test_ctrl_c_while_numba_compiles(tmp_path, after):
    """SIGINT during the first call's compile: a KeyboardInterrupt once it ends, not a RuntimeError.

    LLVM calls back into Python while numba compiles and writes its cache; a
    KeyboardInterrupt raised in that callback was dropped, and numba then
    failed with "no compiled object yet". A fresh cache makes the compile
    take seconds. The signal is timed from the child's word that numba has
    begun compiling (an event, not a guess at how long the import takes on
    a busy machine); a signal after the compile ended lands in the training
    loop and must give the same KeyboardInterrupt.
    """
    child = subprocess.Popen([sys.executable, "-c", _INTERRUPTED_COMPILE], env=_child_env(tmp_path),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert _line(child).strip() == "ready"
        assert _line(child).strip() == "compiling"
        time.sleep(after)
        child.send_signal(signal.SIGINT)
        out, err = _finish(child, 600)
    finally:
        _close(child)
    assert child.returncode == 0 and out.split() == ["KeyboardInterrupt", "True"], out + err
    assert "Exception ignored" not in err, err


_CLI_INTERRUPTED = textwrap.dedent("""
    import sys
    import fastlr.cli

    fit = fastlr.cli.train

    def fit_until_interrupted(*args, **kwargs):  # the CLI's fit, repeated: SIGINT lands inside one
        print("ready", flush=True)
        while True:
            fit(*args, **kwargs)

    fastlr.cli.train = fit_until_interrupted
    sys.exit(fastlr.cli.main(sys.argv[1:]))
""")


@pytest.mark.parametrize("solver", ["gd", "lbfgs", "newton-cholesky"])
def test_cli_train_interrupted_exits_130_with_one_line(warm_cache, tmp_path, solver):
    rng = np.random.default_rng(0)  # small: the fit is repeated until the signal lands in one
    X = rng.standard_normal((3_000, 20))
    data = tmp_path / "data.csv"
    np.savetxt(data, np.column_stack([X, X[:, 0] + rng.standard_normal(3_000) > 0]), delimiter=",",
               fmt="%.6g", header=",".join([f"f{i}" for i in range(20)] + ["label"]), comments="")
    command = [sys.executable, "-c", _CLI_INTERRUPTED, "train", str(data), "--target", "label",
               "--kernel", "numba", "--solver", solver]
    _, out, err, status = _interrupt(command, warm_cache, delay=1.0)
    assert status == 130, out + err
    lines = err.strip().splitlines()  # the progress lines of a log, then one line, no traceback
    assert lines[-1] == "fastlr train: interrupted", err
    assert all(line.startswith("training: ") for line in lines[:-1]), err


# -- pools ---------------------------------------------------------------------------

_POOL = textwrap.dedent("""
    import sys
    import numpy as np
    import fastlr

    X = np.random.default_rng(0).standard_normal((50, 30_000))
    y = (X[0] > 0).astype(float)

    def job(seed):
        w = np.random.default_rng(seed).standard_normal(50) * 0.1
        return fastlr.gradient(w, 0.0, X, y, kernel="numba-parallel")[2]

    if __name__ == "__main__":
        expected = [job(seed) for seed in range(4)]        # the parent uses the parallel kernel first
        method = sys.argv[1]
        if method == "loky":
            from joblib import Parallel, delayed
            got = Parallel(n_jobs=2, backend="loky")(delayed(job)(seed) for seed in range(4))
        else:
            import multiprocessing
            with multiprocessing.get_context(method).Pool(2) as pool:
                got = pool.map(job, range(4))
        assert got == expected, (got, expected)
        print("ok")
""")


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver", "loky"])
def test_pool_after_the_parallel_kernel(warm_cache, tmp_path, method):
    if "numba-parallel" not in COMPILED:
        pytest.skip("needs numba-parallel")
    if method == "loky":
        pytest.importorskip("joblib")
    script = tmp_path / "pool_script.py"  # spawn and loky import the main module by path
    script.write_text(_POOL)
    done = subprocess.run([sys.executable, str(script), method], env=_child_env(warm_cache),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout + done.stderr[-3000:]


def test_threading_layer_is_fork_safe(warm_cache):
    """The layer numba chose for fastlr here: TBB when the ``tbb`` package is installed."""
    code = ("import numpy as np, fastlr, numba\n"
            "fastlr.gradient(np.zeros(3), 0.0, np.ones((3, 100_000)), np.ones(100_000), kernel='numba-parallel')\n"
            "from fastlr.kernels import _threading_layer as t\n"
            "print(t.layer(), t.layer() in t.FORK_SAFE and t.layer() in t.THREAD_SAFE)")
    done = subprocess.run([sys.executable, "-c", code], env=_child_env(warm_cache),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    if not HAVE_TBB:
        pytest.skip(f"the tbb package is not installed here; numba chose {done.stdout.split()[0]}")
    assert done.stdout.split() == ["tbb", "True"]


def test_users_own_parallel_code_first_still_gets_tbb(warm_cache):
    """``import fastlr``, then the user's own ``parallel=True`` function runs before any fastlr kernel."""
    if not HAVE_TBB:
        pytest.skip("the tbb package is not installed here")
    code = textwrap.dedent("""
        import fastlr, numba

        @numba.njit(parallel=True)
        def total(n):
            s = 0.0
            for i in numba.prange(n):
                s += i
            return s

        total(10)
        print(numba.threading_layer())
    """)
    done = subprocess.run([sys.executable, "-c", code], env=_child_env(warm_cache),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["tbb"]


# -- the source checkout -------------------------------------------------------------

def test_imports_from_the_checkout_root():
    """``python -c 'import fastlr'`` in the clone's root, where ``fastlr/`` shadows the install.

    The child runs without ``site`` (``-S``), so that no editable-install
    finder helps: the site-packages folders come through ``PYTHONPATH``,
    which processes no ``.pth`` file, as for a regular install.
    """
    import site

    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(site.getsitepackages())
    code = "import fastlr, fastlr.kernels.numba_loops; print(fastlr.__file__, fastlr.kernels.__file__)"
    done = subprocess.run([sys.executable, "-S", "-c", code], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    package, kernels = (Path(p).resolve() for p in done.stdout.split())
    assert package == root / "fastlr" / "__init__.py"
    assert kernels == root / "kernels" / "__init__.py"
