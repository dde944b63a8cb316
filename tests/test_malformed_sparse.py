"""Malformed scipy.sparse X on every entry point and kernel: a ``ValueError`` naming it, never a crash.

scipy's constructors check shapes only, so a CSR/CSC matrix built from
arrays can hold an ``indptr`` that decreases or runs past the stored
entries, or indices outside the shape; scipy's own products and format
conversions then read and write outside the arrays. fastlr checks the
structure (``fastlr._sparse.check_structure``) before anything indexes by it.

Each matrix runs in a fresh interpreter (``_worker`` below) through every
entry point: ``gradient`` and ``softmax_gradient`` with every kernel,
``train`` with each solver (binary and multinomial, ``learning_rate="auto"``),
the estimator's ``fit`` with each solver and a fitted estimator's
prediction methods. A segfault, including one at exit (a write outside
the heap shows there), fails the test and names the last call started.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp

import fastlr
from fastlr._sparse import check_structure

#: name -> (format, arrays as constructor arguments, shape (n_x, m), the error it must give)
MALFORMED = {
    "indptr-entry-beyond-nnz": ("csc", ([1., 3., 2.], [0, 1, 0], [0, 10**7, 2, 3]),
                                r"indptr decreases at position 2 \(10000000 then 2\)"),
    "last-indptr-beyond-nnz": ("csc", ([1., 3., 2.], [0, 1, 0], [0, 1, 2, 10**6]),
                               r"indptr\[-1\] is 1000000, beyond the 3 stored indices"),
    "index-2**33": ("csc", ([1., 3., 2.], np.array([2**33, 1, 0]), [0, 1, 2, 3]),
                    r"indices\[0\] is 8589934592, outside \[0, 2\) \(X has 2 rows\)"),
    "indptr-not-monotone": ("csc", ([1., 3., 2.], [0, 1, 0], [0, 2, 1, 3]),
                            r"indptr decreases at position 2 \(2 then 1\)"),
    "index-9": ("csc", ([1., 3., 2.], [0, 9, 0], [0, 1, 2, 3]),
                r"indices\[1\] is 9, outside \[0, 2\) \(X has 2 rows\)"),
    "index-minus-1": ("csc", ([1., 3., 2.], [0, -1, 0], [0, 1, 2, 3]),
                      r"indices\[1\] is -1, outside \[0, 2\) \(X has 2 rows\)"),
    "indptr-not-from-0": ("csc", ([1., 3., 2.], [0, 1, 0], [1, 1, 2, 3]),
                          r"indptr\[0\] is 1; it must be 0"),
    "csr-indptr-10**6": ("csr", ([1., 3., 2.], [0, 1, 2], [0, 10**6, 3]),
                         r"indptr decreases at position 2 \(1000000 then 3\)"),
    "csr-index-7": ("csr", ([1., 3., 2.], [0, 7, 2], [0, 1, 3]),
                    r"indices\[1\] is 7, outside \[0, 3\) \(X has 3 columns\)"),
}
SHAPE = (2, 3)  # n_x = 2 features, m = 3 examples

_WORKER = textwrap.dedent("""
    import json, sys, warnings
    import numpy as np
    import scipy.sparse as sp
    import fastlr

    fmt, arrays = json.loads(sys.argv[1])
    X = getattr(sp, fmt + "_matrix")((2, 3))  # the arrays set as a user's code may leave them
    X.data, X.indices, X.indptr = (np.asarray(a) for a in arrays)
    XT = getattr(sp, {"csc": "csr", "csr": "csc"}[fmt] + "_matrix")((3, 2))  # X.T, (n_samples, n_features)
    XT.data, XT.indices, XT.indptr = X.data, X.indices, X.indptr
    y, classes = np.array([0., 1., 1.]), np.array([0, 1, 2])
    good = np.eye(2, 3)
    fitted = fastlr.LogisticRegression(kernel="numpy").fit(sp.csr_matrix(good.T), [0, 1, 1])

    calls = [(f"gradient kernel={k}", lambda k=k: fastlr.gradient(np.zeros(2), 0., X, y, kernel=k))
             for k in fastlr.available_kernels()]
    calls += [(f"softmax_gradient kernel={k}",
               lambda k=k: fastlr.softmax_gradient(np.zeros((3, 2)), 0., X, classes, kernel=k))
              for k in fastlr.available_kernels()]
    calls += [(f"train solver={s}", lambda s=s: fastlr.train(X, y, solver=s))
              for s in ("gd", "lbfgs", "newton-cholesky", "newton-cg")]
    calls += [(f"train n_classes=3 solver={s}", lambda s=s: fastlr.train(X, classes, n_classes=3, solver=s))
              for s in ("gd", "lbfgs", "newton-cholesky", "newton-cg")]
    calls += [(f"LogisticRegression(solver={s!r}).fit",
               lambda s=s: fastlr.LogisticRegression(solver=s).fit(XT, [0, 1, 1]))
              for s in ("gd", "lbfgs", "newton-cholesky", "newton-cg")]
    calls += [("LogisticRegression().fit 3 classes", lambda: fastlr.LogisticRegression().fit(XT, classes))]
    calls += [(f"fitted.{method}", lambda method=method: getattr(fitted, method)(XT))
              for method in ("decision_function", "predict", "predict_proba", "predict_log_proba")]
    for name, call in calls:
        print(json.dumps({"started": name}), flush=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                call()
        except ValueError as exc:
            print(json.dumps({"call": name, "error": str(exc)}), flush=True)
        else:
            print(json.dumps({"call": name, "error": None}), flush=True)
""")


def _build(name: str):
    fmt, arrays, _ = MALFORMED[name]
    X = getattr(sp, fmt + "_matrix")(SHAPE)  # scipy's constructor refuses some of these arrays
    X.data, X.indices, X.indptr = (np.asarray(a) for a in arrays)
    return X


@pytest.mark.parametrize("name", list(MALFORMED))
def test_every_entry_point_refuses_a_malformed_matrix_in_a_fresh_process(name):
    fmt, arrays, message = MALFORMED[name]
    spec = json.dumps([fmt, [np.asarray(a).tolist() for a in arrays]])
    done = subprocess.run([sys.executable, "-c", _WORKER, spec], capture_output=True, text=True,
                          timeout=600)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    started = [line["started"] for line in lines if "started" in line]
    assert done.returncode == 0, (f"exit {done.returncode} after {started[-1:]}\n"
                                  f"{done.stderr[-3000:]}")
    results = [line for line in lines if "call" in line]
    assert len(results) == len(started) >= 2 * len(fastlr.available_kernels()) + 13
    for result in results:
        assert result["error"] is not None, f"{result['call']} returned numbers for {name}"
        assert result["error"].startswith("X is a malformed scipy.sparse matrix: "), result
        if result["call"].startswith(("gradient", "softmax", "train")):  # X as given, (n_x, m)
            assert re.search(message, result["error"]), result


@pytest.mark.parametrize("name", list(MALFORMED))
def test_check_structure_names_what_is_wrong(name):
    with pytest.raises(ValueError, match=MALFORMED[name][2]):
        check_structure(_build(name))


def test_well_formed_matrices_pass_unchanged(rng):
    X = sp.random(30, 40, density=0.2, format="csc", random_state=0)
    for matrix in (X, X.tocsr(), X.tocoo(), X.tobsr(blocksize=(3, 4))):
        check_structure(matrix)
    empty = sp.csc_matrix((5, 7))
    check_structure(empty)
    duplicates = sp.csc_matrix(([1., 2., 3.], [1, 1, 0], [0, 3, 3]), shape=(2, 2))  # unsorted, repeated
    check_structure(duplicates)
    longer = sp.csr_matrix((np.ones(5), np.zeros(5, dtype=np.int32), np.array([0, 1, 2])), shape=(2, 3))
    check_structure(longer)  # arrays longer than indptr[-1]: scipy's own slack, never read


def test_malformed_coo_and_bsr_are_refused_before_conversion():
    coo = sp.coo_matrix(([1., 2.], ([0, 1], [0, 1])), shape=(2, 3))
    coo.row[1] = 10**6  # scipy's tocsc would write outside its arrays
    with pytest.raises(ValueError, match=r"malformed scipy.sparse matrix: row\[1\] is 1000000, outside \[0, 2\)"):
        fastlr.gradient(np.zeros(2), 0., coo, [0., 1., 1.])
    coo = sp.coo_matrix(([1., 2.], ([0, 1], [0, 1])), shape=(3, 2))  # (n_samples, n_features)
    coo.col[0] = -5
    with pytest.raises(ValueError, match=r"col\[0\] is -5, outside \[0, 2\)"):
        fastlr.LogisticRegression().fit(coo, [0, 1, 1])
    bsr = sp.bsr_matrix((np.ones((2, 1, 1)), [0, 7], [0, 1, 2]), shape=(2, 3))
    with pytest.raises(ValueError, match=r"indices\[1\] is 7, outside \[0, 3\)"):
        fastlr.gradient(np.zeros(2), 0., bsr, [0., 1., 1.])


def test_arrays_that_do_not_fit_are_named():
    X = sp.csc_matrix(([1., 3., 2.], [0, 1, 0], [0, 1, 2, 3]), shape=(2, 3))
    X.data = X.data[:2]
    with pytest.raises(ValueError, match=r"data has shape \(2,\) and indices \(3,\)"):
        fastlr.gradient(np.zeros(2), 0., X, [0., 1., 1.])
    X = sp.csc_matrix(([1., 3., 2.], [0, 1, 0], [0, 1, 2, 3]), shape=(2, 3))
    X.indptr = X.indptr[:3]
    with pytest.raises(ValueError, match=r"indptr has 3 entries; a CSC matrix of shape \(2, 3\) needs 4"):
        fastlr.gradient(np.zeros(2), 0., X, [0., 1., 1.])
    X = sp.csc_matrix(([1., 3., 2.], [0, 1, 0], [0, 1, 2, 3]), shape=(2, 3))
    X.indices = X.indices.astype(np.float64)
    with pytest.raises(ValueError, match="its indices must be a 1-D array of signed integers"):
        fastlr.gradient(np.zeros(2), 0., X, [0., 1., 1.])


def test_check_finite_false_does_not_skip_the_structure():
    X = _build("index-9")
    with pytest.raises(ValueError, match="malformed"):
        fastlr.gradient(np.zeros(2), 0., X, [0., 1., 1.], check_finite=False)
