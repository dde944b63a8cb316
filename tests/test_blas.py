"""BLAS's thread count after fits: put back as it was, whichever threads fitted and in what order.

The second-order solvers hold BLAS to one thread while they run
(``fastlr._blas``). The setting belongs to the whole process, so these tests
run in child interpreters: a failure leaves this process's BLAS alone. Each
child first sets BLAS to two threads, so that a limit left behind (one
thread) shows; where BLAS cannot run two threads here, the test skips.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("threadpoolctl")

#: The second-order solvers (each holds the limit), fitted with the ``numpy`` kernel: nothing compiles.
SOLVERS = ("lbfgs", "newton-cholesky", "newton-cg", "prox-newton")

_PRELUDE = textwrap.dedent("""
    import os, sys, threading
    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits
    import fastlr
    from fastlr import _blas

    def blas_threads():
        return sorted({pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"})

    _blas.blas_controller()  # loads scipy's BLAS, so that the limit below reaches it too
    threadpool_limits(2, user_api="blas")
    _blas._let_go()  # threadpoolctl >= 3.8: this thread stops controlling OpenBLAS, as a `with` would
    if blas_threads() != [2]:
        print("cannot-set-two", blas_threads())
        sys.exit(0)

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 400))
    y = (X[0] + 0.5 * rng.standard_normal(400) > 0).astype(float)

    seen = set()  # BLAS's threads as the fits' callbacks saw them

    def fit(solver, callback=None):
        l1_ratio = 0.5 if solver == "prox-newton" else 0.0
        return fastlr.train(X, y, kernel="numpy", solver=solver, alpha=0.01, l1_ratio=l1_ratio, tol=1e-8,
                            callback=callback)

    def note_threads(*_):
        seen.update(blas_threads())
""")


def _run(body: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _PRELUDE + textwrap.dedent(body)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    lines = done.stdout.split("\n")
    if lines[0].startswith("cannot-set-two"):
        pytest.skip(f"BLAS runs at most one thread here ({lines[0]})")
    return [line for line in lines if line]


@pytest.mark.parametrize("solver", SOLVERS)
def test_fits_in_several_threads_put_blas_back(solver):
    """Four threads fitting at once, many times: BLAS at one thread during the fits and at two
    afterwards, every fit's result the same bits as the one fitted alone first."""
    lines = _run(f"""
        alone = fit({solver!r})
        results = []
        def work():
            for i in range(25):
                results.append(fit({solver!r}, note_threads if i % 5 == 0 else None))
        threads = [threading.Thread(target=work) for _ in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        same = all(np.array_equal(r.w, alone.w) and r.b == alone.b for r in results)
        print(len(results), same, sorted(seen), blas_threads())
    """)
    assert lines == ["100 True [1] [2]"]


def test_the_first_to_start_ends_first():
    """One thread holds the limit, a second joins, the first leaves: still one thread while the
    second holds it, and two once it has left (the order that used to leave one thread)."""
    lines = _run("""
        holding, joined, first_left = threading.Event(), threading.Event(), threading.Event()
        def first():
            with _blas.one_blas_thread():
                holding.set()
                joined.wait(60)
            first_left.set()
        def second():
            with _blas.one_blas_thread():
                joined.set()
                first_left.wait(60)
                print("second holds", blas_threads())
        a, b = threading.Thread(target=first), threading.Thread(target=second)
        a.start(); holding.wait(60)
        b.start()
        a.join(); b.join()
        print("after", blas_threads())
    """)
    assert lines == ["second holds [1]", "after [2]"]


def test_nested_holds_in_one_thread():
    lines = _run("""
        with _blas.one_blas_thread():
            with _blas.one_blas_thread():
                print("inner", blas_threads())
            print("outer", blas_threads())
        print("after", blas_threads())
    """)
    assert lines == ["inner [1]", "outer [1]", "after [2]"]


def test_no_thread_keeps_control_of_openblas():
    """After a fit in another thread, this thread's own limit takes effect (threadpoolctl 3.8
    ignores every thread's change but the one that last took control and kept it)."""
    lines = _run("""
        fitted, release = threading.Event(), threading.Event()
        def work():  # fits, then stays alive: a thread that kept control would keep it now
            fit("lbfgs")
            fitted.set()
            release.wait(60)
        worker = threading.Thread(target=work)
        worker.start(); fitted.wait(60)
        with threadpool_limits(3, user_api="blas"):
            print("limited", blas_threads())
        release.set(); worker.join()
        print("after", blas_threads())
    """)
    assert lines == ["limited [3]", "after [2]"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_while_another_thread_fits_gets_blas_back():
    lines = _run("""
        holding, release = threading.Event(), threading.Event()
        def hold():
            with _blas.one_blas_thread():
                holding.set()
                release.wait(60)
        t = threading.Thread(target=hold)
        t.start(); holding.wait(60)
        print("parent during", blas_threads(), flush=True)
        pid = os.fork()
        if pid == 0:
            print("child", blas_threads(), flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        release.set(); t.join()
        print("parent after", blas_threads())
    """)
    assert lines == ["parent during [1]", "child [2]", "parent after [2]"]
