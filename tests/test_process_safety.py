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
import signal
import subprocess
import sys
import textwrap
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


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    """A numba cache filled by one cold process running every op."""
    cache = tmp_path_factory.mktemp("numba-cache")
    _run_worker(cache, *OPS)
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
            line = child.stdout.readline()
            assert line.strip() == "ready", line + child.stderr.read()
        time.sleep(delay)
        sent = time.perf_counter()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    return sent, out, err, child.returncode


@pytest.mark.parametrize("what", ["train", "estimator", "gradient"])
@pytest.mark.parametrize("kernel", COMPILED)
def test_ctrl_c_stops_a_compiled_call_within_a_second(warm_cache, what, kernel):
    sent, out, err, status = _interrupt([sys.executable, "-c", _INTERRUPTED, what, kernel], warm_cache)
    words = out.split()
    assert status == 0 and words[:1] == ["KeyboardInterrupt"], out + err
    # perf_counter is system-wide on Linux (CLOCK_MONOTONIC): the two processes share it.
    assert float(words[1]) - sent < 1.5, f"KeyboardInterrupt {float(words[1]) - sent:.2f} s after SIGINT"


_INTERRUPTED_COMPILE = textwrap.dedent("""
    import signal, warnings
    import numpy as np
    import fastlr

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


@pytest.mark.parametrize("delay", [1.0, 2.0, 3.0, 4.0])  # the compile takes seconds: one lands in LLVM
def test_ctrl_c_while_numba_compiles(tmp_path, delay):
    """SIGINT during the first call's compile: a KeyboardInterrupt once it ends, not a RuntimeError.

    LLVM calls back into Python while numba compiles and writes its cache; a
    KeyboardInterrupt raised in that callback was dropped, and numba then
    failed with "no compiled object yet". A fresh cache makes the compile
    take seconds; signals at several delays, one of which landed in LLVM's
    code generation on the development machine (3 s) before the fix.
    """
    _, out, err, status = _interrupt([sys.executable, "-c", _INTERRUPTED_COMPILE], tmp_path,
                                     delay=delay)
    assert status == 0 and out.split() == ["KeyboardInterrupt", "True"], out + err
    assert "Exception ignored" not in err, err


def test_cli_train_interrupted_exits_130_with_one_line(warm_cache, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 50))
    data = tmp_path / "big.csv"
    np.savetxt(data, np.column_stack([X, X[:, 0] > 0]), delimiter=",", fmt="%.6g",
               header=",".join([f"f{i}" for i in range(50)] + ["label"]), comments="")
    command = [sys.executable, "-m", "fastlr", "train", str(data), "--target", "label",
               "--kernel", "numba", "--solver", "gd", "--max-iter", "100000000", "--tol", "0",
               "--learning-rate", "0.01"]
    _, out, err, status = _interrupt(command, warm_cache, delay=6.0, ready=False)
    assert status == 130, out + err
    assert err.strip().splitlines() == ["fastlr train: interrupted"], err


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
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout + done.stderr[-3000:]


def test_threading_layer_is_fork_safe(warm_cache):
    """The layer numba chose for fastlr here: TBB when the ``tbb`` package is installed."""
    code = ("import numpy as np, fastlr, numba\n"
            "fastlr.gradient(np.zeros(3), 0.0, np.ones((3, 100_000)), np.ones(100_000), kernel='numba-parallel')\n"
            "from fastlr.kernels import _threading_layer as t\n"
            "print(t.layer(), t.layer() in t.FORK_SAFE and t.layer() in t.THREAD_SAFE)")
    done = subprocess.run([sys.executable, "-c", code], env=_child_env(warm_cache),
                          capture_output=True, text=True, timeout=300)
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
                          capture_output=True, text=True, timeout=300)
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
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    package, kernels = (Path(p).resolve() for p in done.stdout.split())
    assert package == root / "fastlr" / "__init__.py"
    assert kernels == root / "kernels" / "__init__.py"
