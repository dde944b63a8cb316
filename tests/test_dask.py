"""Dask arrays on a dask.distributed LocalCluster: the in-memory results, bad chunking, a lost worker.

Every kernel computes each chunk where it lives; the results must be the
in-memory ones to rounding (1e-10 relative on the coefficients, the same
iteration count), whatever the chunking.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastlr
from fastlr._dask.input import import_dask

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

N_X, M = 6, 1000
UNEVEN = (300, 250, 1, 449)


@pytest.fixture(scope="module")
def client():
    """Two single-threaded workers in this process: the cluster the tests share."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        yield c


def _problem(rng, m=M, n_x=N_X, dtype=np.float64):
    X = rng.standard_normal((n_x, m)).astype(dtype)
    y = (X[0] - X[1] + 0.5 * rng.standard_normal(m) > 0).astype(dtype)
    return X, y


def _chunked(array, chunks):
    """A Dask array of ``array`` cut along its last axis (the examples) into ``chunks``."""
    return da.from_array(array, chunks=(*array.shape[:-1], chunks) if array.ndim == 2 else (chunks,))


def _relative(actual, expected):
    return np.abs(np.asarray(actual, np.float64) - expected).max() / np.abs(expected).max()


@pytest.mark.parametrize("chunks", [UNEVEN, (M,), (100,) * 10], ids=["uneven", "one-chunk", "even"])
def test_gradient_equals_in_memory(client, kernel, rng, chunks):
    X, y = _problem(rng)
    w, b = 0.3 * rng.standard_normal(N_X), 0.2
    s = rng.random(M)
    expected = fastlr.gradient(w, b, X, y, kernel=kernel, alpha=0.1, sample_weight=s)
    dw, db, cost = fastlr.gradient(w, b, _chunked(X, chunks), _chunked(y, chunks), kernel=kernel,
                                   alpha=0.1, sample_weight=_chunked(s, chunks))
    assert isinstance(dw, np.ndarray) and dw.dtype == np.float64
    assert _relative(dw, expected[0]) < 1e-13
    assert db == pytest.approx(expected[1], rel=1e-13, abs=1e-16)
    assert cost == pytest.approx(expected[2], rel=1e-13)


def test_gradient_takes_numpy_labels_and_a_column_w(client, rng):
    X, y = _problem(rng)
    w = rng.standard_normal((N_X, 1))
    expected = fastlr.gradient(w, 0.0, X, y[None, :])
    dw, db, cost = fastlr.gradient(w, 0.0, _chunked(X, UNEVEN), y[None, :])
    assert dw.shape == (N_X, 1)
    assert _relative(dw, expected[0]) < 1e-13
    assert cost == pytest.approx(expected[2], rel=1e-13)
    row_labels = da.from_array(y[None, :], chunks=(1, UNEVEN))
    assert fastlr.gradient(w, 0.0, _chunked(X, UNEVEN), row_labels)[2] == pytest.approx(cost, rel=1e-15)


def test_float32_stays_float32(client, kernel, rng):
    X, y = _problem(rng, dtype=np.float32)
    w = (0.3 * rng.standard_normal(N_X)).astype(np.float32)
    expected = fastlr.gradient(w, 0.1, X, y, kernel=kernel)
    dw, db, cost = fastlr.gradient(w, 0.1, _chunked(X, UNEVEN), _chunked(y, UNEVEN), kernel=kernel)
    assert dw.dtype == np.float32
    assert _relative(dw, expected[0]) < 1e-5
    assert cost == pytest.approx(expected[2], rel=1e-6)


def test_integer_X_becomes_float64(client, rng):
    X = rng.integers(-3, 4, size=(N_X, M))
    y = (rng.random(M) < 0.5).astype(np.int64)
    w = np.full(N_X, 0.1)
    expected = fastlr.gradient(w, 0.0, X, y)
    dw, _, cost = fastlr.gradient(w, 0.0, _chunked(X, UNEVEN), _chunked(y, UNEVEN))
    assert dw.dtype == np.float64
    assert _relative(dw, expected[0]) < 1e-13


def test_a_chunk_of_zero_weights_contributes_nothing(client, rng):
    X, y = _problem(rng)
    s = rng.random(M)
    s[300:550] = 0.0  # the whole second chunk
    w = 0.2 * rng.standard_normal(N_X)
    expected = fastlr.gradient(w, 0.0, X, y, sample_weight=s)
    dw, db, cost = fastlr.gradient(w, 0.0, _chunked(X, UNEVEN), _chunked(y, UNEVEN),
                                   sample_weight=_chunked(s, UNEVEN))
    assert _relative(dw, expected[0]) < 1e-13
    assert cost == pytest.approx(expected[2], rel=1e-13)


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(1, 199), min_size=0, max_size=6, unique=True), seed=st.integers(0, 2**32 - 1))
def test_any_chunking_gives_the_in_memory_gradient(cuts, seed):
    """Chunk boundaries anywhere, on the synchronous scheduler: always the in-memory numbers."""
    rng = np.random.default_rng(seed)
    X, y = _problem(rng, m=200, n_x=3)
    edges = [0, *sorted(cuts), 200]
    chunks = tuple(high - low for low, high in zip(edges, edges[1:]))
    w = rng.standard_normal(3)
    expected = fastlr.gradient(w, -0.3, X, y, kernel="numpy")
    with dask.config.set(scheduler="sync"):
        dw, db, cost = fastlr.gradient(w, -0.3, _chunked(X, chunks), _chunked(y, chunks), kernel="numpy")
    assert _relative(dw, expected[0]) < 1e-13
    assert db == pytest.approx(expected[1], rel=1e-12, abs=1e-15)
    assert cost == pytest.approx(expected[2], rel=1e-13)


@pytest.mark.parametrize("chunks", [(250, 100, 250), (600,)], ids=["uneven", "one-chunk"])
@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_training_equals_in_memory(client, kernel, rng, solver, chunks):
    X, y = _problem(rng, m=600, n_x=4)
    s = 0.5 + rng.random(600)
    options = dict(kernel=kernel, alpha=0.05, tol=1e-7, solver=solver, max_iter=2000)
    expected = fastlr.train(X, y, sample_weight=s, **options)
    result = fastlr.train(_chunked(X, chunks), _chunked(y, chunks), sample_weight=_chunked(s, chunks),
                          **options)
    assert result.converged and expected.converged
    assert result.n_iter == expected.n_iter
    assert _relative(result.w, expected.w) < 1e-10
    assert result.b == pytest.approx(expected.b, rel=1e-10)
    assert result.learning_rate == pytest.approx(expected.learning_rate, rel=1e-12, nan_ok=True)
    assert result.kernel == expected.kernel
    np.testing.assert_allclose(result.costs, expected.costs, rtol=1e-12)


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_training_without_intercept_equals_in_memory(client, kernel, rng, solver):
    X, y = _problem(rng, m=600, n_x=4)
    options = dict(kernel=kernel, alpha=0.05, tol=1e-7, solver=solver, max_iter=2000,
                   fit_intercept=False)
    expected = fastlr.train(X, y, **options)
    result = fastlr.train(_chunked(X, (250, 350)), _chunked(y, (250, 350)), **options)
    assert result.converged and result.b == 0.0 and expected.b == 0.0
    assert result.n_iter == expected.n_iter
    assert _relative(result.w, expected.w) < 1e-10


def test_estimator_without_intercept_on_dask(client, rng):
    pytest.importorskip("sklearn")
    samples = rng.standard_normal((500, 3))
    labels = (samples[:, 0] + 0.5 + 0.3 * rng.standard_normal(500) > 0).astype(int)
    expected = fastlr.LogisticRegression(fit_intercept=False, tol=1e-8).fit(samples, labels)
    model = fastlr.LogisticRegression(fit_intercept=False, tol=1e-8)
    model.fit(da.from_array(samples, chunks=(200, 3)), da.from_array(labels, chunks=200))
    assert model.intercept_.tolist() == [0.0]
    assert model.n_iter_ == expected.n_iter_
    assert _relative(model.coef_, expected.coef_) < 1e-10


def test_training_float32(client, rng):
    X, y = _problem(rng, m=600, n_x=4, dtype=np.float32)
    expected = fastlr.train(X, y, kernel="numpy", solver="lbfgs", tol=1e-5)
    result = fastlr.train(_chunked(X, (200, 400)), _chunked(y, (200, 400)), kernel="numpy",
                          solver="lbfgs", tol=1e-5)
    assert result.w.dtype == np.float32
    assert _relative(result.w, expected.w) < 1e-4


def test_auto_kernel_runs_one_thread_per_task(client, rng):
    X, y = _problem(rng)
    result = fastlr.train(_chunked(X, UNEVEN), _chunked(y, UNEVEN), solver="lbfgs")
    expected = "numba" if "numba" in fastlr.available_kernels() else "numpy"
    assert result.kernel == expected


def test_callback_sees_every_iteration(client, rng):
    X, y = _problem(rng, m=300, n_x=3)
    seen = []
    with pytest.warns(fastlr.ConvergenceWarning, match="max_iter=5"):
        result = fastlr.train(_chunked(X, (100, 200)), _chunked(y, (100, 200)), kernel="numpy",
                              max_iter=5, tol=0.0, learning_rate=0.5,
                              callback=lambda i, w, b, cost: seen.append((i, cost)))
    assert [i for i, _ in seen] == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal([cost for _, cost in seen], result.costs)


def test_estimator_fits_and_predicts_dask_arrays(client, rng):
    pytest.importorskip("sklearn")
    samples = rng.standard_normal((700, 5))
    labels = np.where(samples[:, 0] + 0.3 * rng.standard_normal(700) > 0, "spam", "ham")
    weights = rng.random(700)
    model = fastlr.LogisticRegression(C=0.2, class_weight="balanced", tol=1e-8)
    expected = fastlr.LogisticRegression(C=0.2, class_weight="balanced", tol=1e-8)
    expected.fit(samples, labels, sample_weight=weights)
    X = da.from_array(samples, chunks=(300, 5))
    model.fit(X, da.from_array(labels, chunks=300), sample_weight=weights)
    assert model.n_iter_ == expected.n_iter_
    assert _relative(model.coef_, expected.coef_) < 1e-10
    assert model.classes_.tolist() == ["ham", "spam"]
    predicted = model.predict(X)
    assert isinstance(predicted, da.Array)
    np.testing.assert_array_equal(predicted.compute(), expected.predict(samples))
    np.testing.assert_allclose(model.predict_proba(X).compute(), expected.predict_proba(samples),
                               rtol=1e-9)
    np.testing.assert_allclose(model.predict_log_proba(X).compute(),
                               expected.predict_log_proba(samples), rtol=1e-9)
    far = da.from_array(1e4 * samples, chunks=(300, 5))  # |z| far past exp's range: no warning
    np.testing.assert_allclose(model.predict_proba(far).compute(), expected.predict_proba(1e4 * samples),
                               rtol=1e-6)
    with pytest.raises(ValueError, match=re.escape("X has 4 features, but LogisticRegression is expecting 5")):
        model.predict(X[:, :4])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda X, y: (X.rechunk((3, 500)), y),
         "X is chunked along its features (axis 0 has chunks (3, 3)); each chunk must hold whole "
         "examples (columns of X): rechunk it with X.rechunk({0: -1})"),
        (lambda X, y: (X, y.rechunk(500)),
         "Y is chunked as (500, 500) but X's examples as (300, 250, 1, 449); chunk them alike, "
         "for example with Y.rechunk(X.chunks[1])"),
        (lambda X, y: (X[:, y > 0.5], y),
         "X has unknown chunk sizes"),
        (lambda X, y: (X[None], y),
         "X must be 2-D with shape (n_x, m), one example per column; got a 3-D array"),
        (lambda X, y: (X[:, :0], y[:0]),
         "X must have at least one feature and one example; got shape (6, 0)"),
        (lambda X, y: (X, y[:-1]),
         "Y must have shape (1000,) or (1, 1000) to match X's m=1000 examples; got shape (999,)"),
        (lambda X, y: (X, 2.0 * y),
         "Y must hold labels in [0, 1]; got values from 0 to 2"),
        (lambda X, y: (X.astype(np.complex128), y),
         "X has dtype complex128; fastlr accepts float32 or float64"),
    ],
    ids=["features-chunked", "Y-chunks", "unknown-chunks", "3-D", "empty", "Y-length", "labels",
         "complex"],
)
def test_bad_dask_input(client, rng, make, message):
    X, y = _problem(rng)
    X, y = make(_chunked(X, UNEVEN), _chunked(y, UNEVEN))
    error = TypeError if "dtype" in message else ValueError
    with pytest.raises(error, match=re.escape(message)):
        fastlr.gradient(np.zeros(N_X), 0.0, X, y)
    with pytest.raises(error, match=re.escape(message)):
        fastlr.train(X, y, max_iter=3)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (lambda s: s.rechunk(250), "sample_weight is chunked as (250, 250, 250, 250) but X's examples"),
        (lambda s: -s, "sample_weight must be non-negative"),
        (lambda s: 0 * s, "sample_weight must not be all zero"),
        (lambda s: da.where(s > 0.5, np.inf, s), "sample_weight contains NaN or infinity"),
    ],
    ids=["chunks", "negative", "all-zero", "infinite"],
)
def test_bad_dask_weights(client, rng, weights, message):
    X, y = _problem(rng)
    s = weights(_chunked(rng.random(M) + 0.1, UNEVEN))
    with pytest.raises(ValueError, match=re.escape(message)):
        fastlr.gradient(np.zeros(N_X), 0.0, _chunked(X, UNEVEN), _chunked(y, UNEVEN), sample_weight=s)


def test_nan_in_X_is_named(client, rng):
    X, y = _problem(rng)
    X[2, 700] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        fastlr.gradient(np.zeros(N_X), 0.0, _chunked(X, UNEVEN), _chunked(y, UNEVEN))
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        fastlr.train(_chunked(X, UNEVEN), _chunked(y, UNEVEN), solver="lbfgs")


def test_estimator_bad_chunking(client, rng):
    pytest.importorskip("sklearn")
    X = da.from_array(rng.standard_normal((100, 4)), chunks=(50, 2))
    y = np.arange(100) % 2
    with pytest.raises(ValueError, match=re.escape("X is chunked along its features (axis 1 has chunks (2, 2))")):
        fastlr.LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=re.escape("y must be 1-D and chunked as X's samples (50, 50)")):
        fastlr.LogisticRegression().fit(X.rechunk((50, 4)), da.from_array(y, chunks=25))
    with pytest.raises(ValueError, match="only one class"):
        fastlr.LogisticRegression().fit(X.rechunk((50, 4)), np.zeros(100))


def test_import_dask_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(ImportError, match=re.escape("pip install 'fastlr-kernels[dask]'")):
        import_dask()


def test_fastlr_never_imports_dask_for_numpy_input(tmp_path):
    script = (
        "import sys; sys.modules['dask'] = None\n"
        "import numpy as np, fastlr\n"
        "X = np.ones((2, 5)); y = np.array([0, 1, 0, 1, 1.0])\n"
        "fastlr.gradient(np.zeros(2), 0.0, X, y, kernel='numpy')\n"
        "fastlr.train(X, y, kernel='numpy', max_iter=2000)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.parametrize("kernel", [
    "numpy",
    pytest.param("numba", marks=pytest.mark.skipif("numba" not in fastlr.available_kernels(),
                                                   reason="numba unavailable here")),
])
def test_a_fit_survives_a_killed_worker(kernel):
    """SIGKILL one of two worker processes mid-fit: its chunks are recomputed, the fit is unchanged.

    One NumPy and one compiled kernel: the recovery itself is the scheduler's.
    """
    rng = np.random.default_rng(7)
    X, y = _problem(rng, m=4000, n_x=5)
    chunks = (1000,) * 4
    options = dict(kernel=kernel, alpha=0.01, tol=1e-9, solver="lbfgs")
    expected = fastlr.train(X, y, **options)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        before = set(c.scheduler_info()["workers"])
        pids = c.run(os.getpid)
        victim = sorted(pids)[0]
        killed = []

        def kill_once(iteration, w, b, cost):
            if iteration == 3 and not killed:
                os.kill(pids[victim], signal.SIGKILL)
                killed.append(victim)

        result = fastlr.train(_chunked(X, chunks), _chunked(y, chunks), callback=kill_once, **options)
        after = set(c.scheduler_info()["workers"])
    assert killed and victim not in after and before != after
    assert result.converged and result.n_iter == expected.n_iter
    assert _relative(result.w, expected.w) < 1e-10
    assert result.b == pytest.approx(expected.b, rel=1e-10)


def test_train_then_gradient_on_the_same_lazy_array(client, caplog):
    """The graph sent for an unpersisted X must match the keys a fit just persisted (no scheduler warning)."""
    rng = da.random.default_rng(0)
    samples = rng.standard_normal((4000, 3), chunks=(1000, 3))
    labels = (samples[:, 0] > 0).astype(float)
    with caplog.at_level("WARNING", logger="distributed.scheduler"):
        result = fastlr.train(samples.T, labels, kernel="numpy", solver="lbfgs", alpha=0.1)
        fastlr.gradient(result.w, result.b, samples.T, labels, kernel="numpy")
    assert not [record for record in caplog.records if "run_spec" in record.getMessage()]


# -- the multinomial problem (K classes) --------------------------------------------------

def _classes_problem(rng, K=4, m=M, n_x=N_X):
    X = rng.standard_normal((n_x, m))
    centres = 1.5 * rng.standard_normal((K, n_x))
    y = (centres @ X + rng.gumbel(size=(K, m))).argmax(axis=0)
    return X, y


@pytest.mark.parametrize("chunks", [UNEVEN, (M,)], ids=["uneven", "one-chunk"])
def test_softmax_gradient_equals_in_memory(client, kernel, rng, chunks):
    X, y = _classes_problem(rng)
    W, b = 0.3 * rng.standard_normal((4, N_X)), 0.1 * rng.standard_normal(4)
    s = rng.random(M)
    expected = fastlr.softmax_gradient(W, b, X, y, kernel=kernel, alpha=0.1, sample_weight=s)
    dW, db, cost = fastlr.softmax_gradient(W, b, _chunked(X, chunks), _chunked(y, chunks),
                                           kernel=kernel, alpha=0.1, sample_weight=_chunked(s, chunks))
    assert dW.shape == (4, N_X) and db.shape == (4,)
    assert _relative(dW, expected[0]) < 1e-13
    assert _relative(db, expected[1]) < 1e-13
    assert cost == pytest.approx(expected[2], rel=1e-13)


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_multinomial_training_equals_in_memory(client, rng, solver):
    X, y = _classes_problem(rng)
    options = dict(kernel="numpy", alpha=0.05, solver=solver, n_classes=4, tol=1e-6, max_iter=5000)
    expected = fastlr.train(X, y, **options)
    result = fastlr.train(_chunked(X, UNEVEN), _chunked(y, UNEVEN), **options)
    assert result.n_iter == expected.n_iter
    np.testing.assert_allclose(result.w, expected.w, atol=1e-10)
    np.testing.assert_allclose(result.b, expected.b, atol=1e-10)


@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_multiclass_estimator_equals_in_memory(client, rng, class_weight):
    X, y = _classes_problem(rng)
    labels = np.array(["a", "b", "c", "d"])[y]
    s = rng.random(M) + 0.5
    fit = dict(sample_weight=s)
    expected = fastlr.LogisticRegression(class_weight=class_weight, tol=1e-8).fit(X.T, labels, **fit)
    X_d = da.from_array(X.T, chunks=(UNEVEN, N_X))
    model = fastlr.LogisticRegression(class_weight=class_weight, tol=1e-8).fit(
        X_d, da.from_array(labels, chunks=(UNEVEN,)), sample_weight=da.from_array(s, chunks=(UNEVEN,)))
    assert model.classes_.tolist() == ["a", "b", "c", "d"]
    np.testing.assert_allclose(model.coef_, expected.coef_, atol=1e-10)
    np.testing.assert_array_equal(model.predict(X_d).compute(), expected.predict(X.T))
    np.testing.assert_allclose(model.predict_proba(X_d).compute(), expected.predict_proba(X.T), atol=1e-10)


@pytest.mark.parametrize("labels, message", [
    (lambda y: y + 1, "Y must hold class labels in [0, 4) for W with K = 4 rows; got values from 1 to 4"),
    (lambda y: y + 0.5, "Y of shape (m,) = (1000,) holds class labels, which must be integers in [0, 4)"),
    (lambda y: np.eye(4)[:, y], "on Dask arrays the multinomial problem takes class labels of shape (m,) = (1000,)"),
])
def test_bad_multinomial_labels_on_dask_are_named(client, rng, labels, message):
    X, y = _classes_problem(rng)
    Y = labels(y)
    with pytest.raises(ValueError, match=re.escape(message)):
        fastlr.softmax_gradient(np.zeros((4, N_X)), np.zeros(4), _chunked(X, UNEVEN),
                                _chunked(Y, UNEVEN) if Y.ndim == 1 else Y)
