"""numba-parallel: many chunks, any thread count, several Python threads, the thread setting."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

import fastlr

from reference import assert_matches_reference

pytestmark = [
    pytest.mark.skipif("numba-parallel" not in fastlr.available_kernels(),
                       reason="numba-parallel unavailable here"),
    pytest.mark.usefixtures("default_threads"),
]


def _problem(rng, n_x, m, order, dtype=np.float64, weights=False):
    X = np.asarray(rng.standard_normal((n_x, m)), order=order).astype(dtype, copy=False)
    y = (rng.random(m) < 0.5).astype(dtype)
    w = (rng.standard_normal(n_x) * 0.3).astype(dtype)
    s = rng.random(m).astype(dtype) if weights else None
    return w, X, y, s


def _chunks(n_x, m):
    from fastlr.kernels.numba_parallel import plan

    return -(-m // plan(n_x, m))


SHAPES = [(3, 30_001), (37, 5_003), (257, 1_001)]  # several chunks, ragged tails


@pytest.mark.parametrize("n_x, m", SHAPES)
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("weights", [False, True])
def test_many_chunks_match_the_reference(rng, n_x, m, order, weights):
    assert _chunks(n_x, m) > 1
    w, X, y, s = _problem(rng, n_x, m, order, weights=weights)
    result = fastlr.gradient(w, 0.2, X, y, kernel="numba-parallel", alpha=0.1, sample_weight=s)
    assert_matches_reference(result, w, 0.2, X, y, rtol=1e-12, alpha=0.1, sample_weight=s)


@pytest.mark.parametrize("order", ["C", "F"])
def test_float32_many_chunks(rng, order):
    w, X, y, _ = _problem(rng, 37, 5_003, order, dtype=np.float32)
    result = fastlr.gradient(w, 0.2, X, y, kernel="numba-parallel")
    assert result[0].dtype == np.float32
    assert_matches_reference(result, w, 0.2, X, y, rtol=1e-5)


def test_strided_view_many_chunks(rng):
    w, X, y, _ = _problem(rng, 40, 20_000, "C")
    view = X[::2, ::3]
    result = fastlr.gradient(w[::2], 0.0, view, y[::3], kernel="numba-parallel")
    assert_matches_reference(result, w[::2], 0.0, view, y[::3], rtol=1e-12)


@pytest.mark.parametrize("order", ["C", "F"])
def test_same_bits_whatever_the_thread_count(rng, order):
    w, X, y, s = _problem(rng, 37, 5_003, order, weights=True)
    results = []
    for threads in range(1, fastlr.get_num_threads() + 1):
        fastlr.set_num_threads(threads)
        results.append(fastlr.gradient(w, 0.2, X, y, kernel="numba-parallel", sample_weight=s))
    for dw, db, cost in results[1:]:
        assert np.array_equal(dw, results[0][0])
        assert db == results[0][1] and cost == results[0][2]


def test_one_chunk_equals_the_numba_kernel(rng):
    """Below one chunk's worth of work the partition is one chunk: the numba kernel's sums."""
    for order in "CF":
        w, X, y, _ = _problem(rng, 10, 500, order)
        assert _chunks(10, 500) == 1
        parallel = fastlr.gradient(w, 0.1, X, y, kernel="numba-parallel")
        serial = fastlr.gradient(w, 0.1, X, y, kernel="numba")
        assert np.array_equal(parallel[0], serial[0]) and parallel[1:] == serial[1:]


def test_training_matches_the_numba_kernel(rng):
    w, X, y, _ = _problem(rng, 5, 20_000, "F")
    parallel = fastlr.train(X, y, kernel="numba-parallel", max_iter=300, tol=1e-8)
    serial = fastlr.train(X, y, kernel="numba", max_iter=300, tol=1e-8)
    assert parallel.n_iter == serial.n_iter
    np.testing.assert_allclose(parallel.w, serial.w, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(parallel.costs, serial.costs, rtol=1e-13)


def test_calls_from_several_python_threads(rng):
    problems = [_problem(rng, 23, 9_001, order) for order in "CFCF"]
    expected = [fastlr.gradient(w, 0.1, X, y, kernel="numba-parallel") for w, X, y, _ in problems]
    got: dict[int, list] = {}
    errors: list[BaseException] = []

    def work(k):
        w, X, y, _ = problems[k]
        try:
            got[k] = [fastlr.gradient(w, 0.1, X, y, kernel="numba-parallel") for _ in range(20)]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(problems))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for k, runs in got.items():
        for dw, db, cost in runs:
            assert np.array_equal(dw, expected[k][0]) and (db, cost) == expected[k][1:]


def test_thread_setting_holds_in_other_python_threads():
    fastlr.set_num_threads(1)
    seen = []
    thread = threading.Thread(target=lambda: seen.append(fastlr.get_num_threads()))
    thread.start()
    thread.join()
    assert seen == [1]


def test_set_num_threads_round_trip():
    available = fastlr.get_num_threads()
    assert available >= 1
    fastlr.set_num_threads(1)
    assert fastlr.get_num_threads() == 1
    fastlr.set_num_threads(np.int64(available))
    assert fastlr.get_num_threads() == available
    fastlr.set_num_threads(None)
    assert fastlr.get_num_threads() == available


@pytest.mark.parametrize(
    "value, error, message",
    [
        (0, ValueError, "number of threads must be between 1 and {n} (the threads available here); got 0"),
        (10**6, ValueError, "number of threads must be between 1 and {n} (the threads available here); got 1000000"),
        (2.0, TypeError, "number of threads must be an integer; got float 2.0"),
        (True, TypeError, "number of threads must be an integer; got bool True"),
        ("2", TypeError, "number of threads must be an integer; got str '2'"),
    ],
)
def test_set_num_threads_rejects(value, error, message):
    from fastlr.kernels._threads import max_threads

    with pytest.raises(error, match=re.escape(message.format(n=max_threads()))):
        fastlr.set_num_threads(value)


def test_threadpoolctl_sees_both_pools(rng):
    """numba's OpenMP pool and the BLAS pool are separate, and both are visible."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import numba

    w, X, y, _ = _problem(rng, 23, 9_001, "F")
    fastlr.gradient(w, 0.1, X, y, kernel="numba-parallel")
    fastlr.gradient(w, 0.1, X, y, kernel="numpy")
    apis = {pool["user_api"] for pool in threadpoolctl.threadpool_info()}
    assert "blas" in apis
    if numba.threading_layer() == "omp":
        assert "openmp" in apis
