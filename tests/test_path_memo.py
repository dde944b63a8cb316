"""A path's fits share their last evaluation (``fastlr._path_memo``): fewer passes, the same bits."""

from __future__ import annotations

import contextlib
import math
import threading
import warnings

import numpy as np
import pytest

from fastlr import _path_memo
from fastlr._path_memo import MIN_WORK, remembering, shared_evaluations, sharing


class _Counting:
    """Sums that count their calls and return fresh arrays, as the kernels' ops do."""

    def __init__(self):
        self.calls = 0

    def __call__(self, w, b, X, y, s):
        self.calls += 1
        return X @ (w - y[: w.size]), float(b) + 1.0, float(w @ w)


def _arguments(rng):
    X = rng.standard_normal((4, 4))
    return rng.standard_normal(4), 0.5, X, rng.standard_normal(6), None


def test_outside_a_path_nothing_is_remembered(rng):
    sums = _Counting()
    assert not sharing()
    assert remembering(sums, math.inf) is sums


def test_a_cheap_pass_is_not_remembered():
    """Below MIN_WORK multiply-adds per pass the bookkeeping costs more than the pass."""
    sums = _Counting()
    with shared_evaluations():
        assert remembering(sums, MIN_WORK - 1) is sums
        assert remembering(sums, MIN_WORK) is not sums


def test_the_same_point_is_one_pass_and_the_same_result(rng):
    sums = _Counting()
    w, b, X, y, s = _arguments(rng)
    with shared_evaluations():
        assert sharing()
        remembered = remembering(sums, MIN_WORK)
        first = remembered(w, b, X, y, s)
        expected = first[0].copy()
        first[0][:] = np.nan  # the caller finishes the sums in place: the memo kept a copy
        again = remembered(w.copy(), b, X, y.copy(), s)  # equal point and labels, new objects
        np.testing.assert_array_equal(again[0], expected)
        assert again[1:] == first[1:]
        assert sums.calls == 1
    assert not sharing()


@pytest.mark.parametrize("change", ["w", "b", "X", "y", "w dtype"])
def test_anything_else_is_a_new_pass(rng, change):
    sums = _Counting()
    w, b, X, y, s = _arguments(rng)
    with shared_evaluations():
        remembered = remembering(sums, MIN_WORK)
        remembered(w, b, X, y, s)
        w2, b2, X2, y2 = w.copy(), b, X, y
        if change == "w":
            w2[1] = np.nextafter(w2[1], np.inf)
        elif change == "b":
            b2 = np.nextafter(b, np.inf)
        elif change == "X":
            X2 = X.copy()  # equal values, another object: X is never compared by value
        elif change == "y":
            y2 = y.copy()
            y2[0] += 1.0
        else:
            w2 = w.astype(np.float32)
        remembered(w2, b2, X2, y2, s)
    assert sums.calls == 2


def test_each_thread_has_its_own_memo():
    seen = []
    with shared_evaluations():
        thread = threading.Thread(target=lambda: seen.append(sharing()))
        thread.start()
        thread.join()
        assert sharing()
    assert seen == [False]


def _search_model(**params):
    from fastlr import LogisticRegressionCV

    return LogisticRegressionCV(Cs=6, cv=3, l1_ratios=(0,), use_legacy_attributes=False,
                                scoring="neg_log_loss", tol=1e-8, max_iter=1000, **params)


def _search(X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _search_model(**params).fit(X, y)


@pytest.mark.parametrize("problem", ["binary", "sparse", "3 classes", "weighted"])
def test_a_search_gives_the_same_bits_with_fewer_passes(kernel, problem, monkeypatch):
    pytest.importorskip("sklearn")
    import scipy.sparse
    from sklearn.datasets import make_classification

    from fastlr import estimator_cv

    X, y = make_classification(n_samples=150, n_features=6, n_informative=4,
                               n_classes=3 if problem == "3 classes" else 2, random_state=3)
    params = {"kernel": kernel}
    if problem == "sparse":
        X = scipy.sparse.csr_array(np.where(np.abs(X) > 0.7, X, 0.0))
    if problem == "weighted":
        params["class_weight"] = {0: 1.0, 1: 2.5}
    monkeypatch.setattr(_path_memo, "MIN_WORK", 0)  # a small problem, remembered all the same
    passes = []
    for memo in (estimator_cv.shared_evaluations, contextlib.nullcontext):
        monkeypatch.setattr(estimator_cv, "shared_evaluations", memo)
        counted = _count_passes(monkeypatch)
        passes.append((_search(X, y, **params), counted))
    (with_memo, saved), (without, spent) = passes
    for attribute in ("coefs_paths_", "scores_", "n_iter_", "coef_", "intercept_", "C_"):
        np.testing.assert_array_equal(getattr(with_memo, attribute), getattr(without, attribute))
    assert saved["passes"] < spent["passes"]


def _count_passes(monkeypatch):
    """Count the calls of every kernel op's sums the objectives make (a dict, filled as they run)."""
    from fastlr import _loss

    counter = {"passes": 0}

    def counting(sums, work):
        def counted(*args):
            counter["passes"] += 1
            return sums(*args)

        return remembering(counted, work)

    monkeypatch.setattr(_loss, "remembering", counting)
    return counter


def test_searches_in_threads_side_by_side_give_the_same_bits(monkeypatch):
    pytest.importorskip("sklearn")
    monkeypatch.setattr(_path_memo, "MIN_WORK", 0)  # small problems, remembered all the same
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.datasets import make_classification

    problems = [make_classification(n_samples=200, n_features=5, random_state=seed) for seed in range(4)]
    alone = [_search_model().fit(X, y) for X, y in problems]
    with ThreadPoolExecutor(4) as pool:  # (no warnings filters changed in threads: they are global)
        together = list(pool.map(lambda problem: _search_model().fit(*problem), problems))
    for one, other in zip(alone, together):
        np.testing.assert_array_equal(one.coefs_paths_, other.coefs_paths_)
        np.testing.assert_array_equal(one.coef_, other.coef_)
