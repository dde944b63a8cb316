"""``fastlr compare --fit``: time to a converged model, against scikit-learn.

Each problem is a dataset (``breast-cancer``: 569 x 30; ``digits``: 1,797 x
64, digits 0-4 against 5-9; both standardised; ``tfidf``: a TF-IDF-like
sparse CSR 50,000 x 100,000, about 3.8 million stored, :func:`tfidf_problem`)
or a size ``(n_features, n_samples)``: one seeded, standardised synthetic
problem with signal (labels drawn from a logistic model). It is fit to the
same optimum and the same ``tol`` by:

- ``fastlr lbfgs``, ``fastlr newton-cholesky`` and ``fastlr newton-cg``:
  ``fastlr.LogisticRegression(solver=...)``, ``auto`` kernel;
- ``fastlr gd``: the same with ``solver="gd"`` (the course notes' method),
  only where it converges within the budget's iterations;
- ``sklearn lbfgs``, ``sklearn newton-cholesky``, ``sklearn newton-cg`` and
  ``sklearn liblinear``: ``sklearn.linear_model.LogisticRegression(C=1,
  solver=...)``;

fastlr's estimator takes scikit-learn's ``C``, so these fit one objective,
but for liblinear, which penalises the intercept too: a liblinear row's
objective excess and coefficients are measured against liblinear's own
optimum (``fastlr.LogisticRegression(solver="liblinear", tol=1e-10)``,
untimed), its objective counting the intercept as a coefficient.
With ``classes=K > 2`` the labels come from a softmax model of K classes and
every method fits the multinomial loss. With ``density=d`` X is a sparse CSR
``(n_samples, n_features)`` matrix with ``d n_features`` entries per sample
(``fastlr._compare.sparse_problem``, transposed), standard normal values.
The two ``newton-cholesky``, whose dense Hessian is ``n_features^2``, run
only up to :data:`NEWTON_MAX_FEATURES` features of a sparse X; ``fastlr
gd`` is left out of ``tfidf`` (thousands of passes).
The methods are timed in ``repeat`` interleaved rounds (each round fits every
method once, in turn, with a pause between them: thread pools spinning after
a call would slow the next method), best kept. Every row reports the
iterations, how far its coefficients are from scikit-learn's ``lbfgs`` ones
(largest difference over the largest coefficient), and how far its
objective is above the optimum (scikit-learn's lbfgs at ``tol=1e-10``,
fitted once, untimed), relative. ``fastlr newton-cholesky`` and
scikit-learn's ``liblinear`` are left out for ``classes > 2``.
Needs scikit-learn.

With ``l1_ratio > 0`` (``--l1-ratio``) the problems are fitted with
scikit-learn's elastic-net penalty instead, at a strength set per problem
from ``lambda_max`` (the smallest L1 strength whose solution is all zeros):
the L1 term's strength ``alpha l1_ratio`` is ``lambda_max / 10``, so each
problem has a sparse solution (``C = 1 / (alpha n_samples)``). The methods
are ``fastlr prox-newton``, ``sklearn saga`` (the comparison's base) and,
binary with ``l1_ratio = 1``, ``sklearn liblinear`` (which penalises the
intercept: its optimum differs); where they are installed, the peers
``skglm`` (``SparseLogisticRegression``, binary) and ``celer`` (binary,
``l1_ratio = 1``, no intercept: its optimum differs). The optimum and the
coefficients compared are fastlr's ``prox-newton`` at ``tol=1e-10``
(untimed); the table adds each fit's count of non-zero coefficients.

With ``solvers`` (``--solver``, names in :data:`SKLEARN_SOLVERS`) the methods
are pairs instead: ``fastlr NAME`` (``fastlr.LogisticRegression(solver=NAME)``,
which fits the problem scikit-learn's solver of that name fits, by fastlr's
fastest method for it) and ``sklearn NAME``, with or without an L1 term
(saga, and liblinear at ``l1_ratio = 1``); each row's speed-up is over
scikit-learn's solver of its name, its coefficients compared with the
optimum of the problem that name solves.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from ._compare import text_table

__all__ = ["DATASETS", "FIT_PROBLEMS", "tfidf_problem", "FIT_SIZES", "NEWTON_MAX_FEATURES", "QUICK_FIT_PROBLEMS",
           "QUICK_FIT_SIZES", "SKLEARN_SOLVERS", "FitMeasurement", "check_solvers", "fit_steps",
           "fit_table", "measure_fits", "parse_problems"]

#: ``(n_features, n_samples)``: the synthetic problems (the default with classes or density).
FIT_SIZES = ((20, 20_000), (200, 200_000))
#: The named datasets (binary; dense but ``tfidf``). The defaults leave ``tfidf`` out (seconds
#: per fit): ``--sizes tfidf`` asks for it.
DATASETS = ("breast-cancer", "digits", "tfidf")
#: The default problems of a binary, dense comparison.
FIT_PROBLEMS = ("breast-cancer", "digits", *FIT_SIZES)
#: ``--quick``: the default problems cut to a few seconds (binary dense; K classes or sparse).
QUICK_FIT_PROBLEMS = ("breast-cancer", (20, 20_000))
QUICK_FIT_SIZES = ((200, 20_000),)
#: With a sparse X, scikit-learn's newton-cholesky is left out above this many features.
NEWTON_MAX_FEATURES = 2_000
_C = 1.0
_SETTLE_SECONDS = 0.2
_GD_MAX_ITER = 2_000
_SAGA_MAX_ITER = 1_000  # epochs: saga at a tight tol on a large problem runs for minutes


@dataclass(frozen=True)
class FitMeasurement:
    n_features: int
    n_samples: int
    method: str
    seconds: float
    n_iter: int
    converged: bool
    coef_difference: float  # against sklearn lbfgs, relative to its largest coefficient
    problem: str = "synthetic"
    objective_excess: float = float("nan")  # (objective - optimum) / optimum
    non_zero: int = -1  # non-zero coefficients (reported with an L1 term)


_DATASET_SHAPES = {"breast-cancer": (569, 30), "digits": (1797, 64), "tfidf": (50_000, 100_000)}
_SPARSE_DATASETS = ("tfidf",)
_DATASET_STORED = {"tfidf": 3_800_000}  # about, for the progress bar
#: A timed fit's cost that does not grow with X (the settling pause, the estimators' own
#: work), in stored entries of X: measured on 2 cores, a fit step took about 0.2 s plus
#: 0.04 s per million entries.
_FIT_OVERHEAD = 5_000_000


def _classes(problem, classes: int | None) -> int:
    """The classes of a fit problem: a dataset's two, or ``classes`` (default 2)."""
    return 2 if isinstance(problem, str) else classes or 2


def step_work(stored: float, classes: int, overhead: float) -> float:
    """What one timed step weighs for the progress estimate: X's entries times its classes
    (above two), plus the step's fixed cost in entries (without it, the first small problem
    foretold hours)."""
    return stored * (classes if classes > 2 else 1) + overhead


def tfidf_problem(n_samples: int = 50_000, n_features: int = 100_000, words: int = 80,
                  seed: int = 0):
    """A seeded TF-IDF-like binary problem: ``(X CSR (n_samples, n_features), y)``.

    Each document draws ``words`` words from a Zipf-like vocabulary (the
    word of rank ``r`` with probability proportional to ``1 / (r + 10)``,
    ranks shuffled over the features); X holds scikit-learn's
    ``TfidfTransformer(sublinear_tf=True)`` of the counts (``1 + log tf``
    times the smooth idf, rows scaled to unit norm). The labels are a dense
    random direction's sign about its median, 5% of them flipped: nearly
    separable, so that L-BFGS needs many iterations at ``C >= 1``, as on real
    text.
    """
    import scipy.sparse

    rng = np.random.default_rng(seed)
    p = 1.0 / (np.arange(n_features) + 10.0)
    ranks = np.searchsorted(np.cumsum(p / p.sum()), rng.random(n_samples * words))
    features = rng.permutation(n_features)[np.minimum(ranks, n_features - 1)]
    documents = np.repeat(np.arange(n_samples), words)
    X = scipy.sparse.csr_array((np.ones(features.size), (documents, features)),
                               shape=(n_samples, n_features))
    X.sum_duplicates()
    X.data = 1.0 + np.log(X.data)
    document_frequency = np.bincount(X.indices, minlength=n_features)
    X.data *= (np.log((1.0 + n_samples) / (1.0 + document_frequency)) + 1.0)[X.indices]
    norms = np.sqrt(np.add.reduceat(X.data ** 2, X.indptr[:-1]))
    X.data /= np.repeat(norms, np.diff(X.indptr))
    X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)  # as scipy makes
    # a matrix of this size, and as liblinear needs
    z = X @ rng.standard_normal(n_features)
    y = ((z > np.median(z)) ^ (rng.random(n_samples) < 0.05)).astype(int)
    return X, y


def _dataset(name: str):
    """A named dataset, standardised (``tfidf``: as :func:`tfidf_problem` makes it): ``(X, y)``."""
    if name == "tfidf":
        return tfidf_problem()
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.preprocessing import StandardScaler

    if name == "breast-cancer":
        X, y = load_breast_cancer(return_X_y=True)
    else:
        X, y = load_digits(return_X_y=True)
        y = (y >= 5).astype(int)
    return StandardScaler().fit_transform(X), y


def parse_problems(text: str, cv: bool = False) -> list:
    """``--sizes`` with --fit: ``N_FEATURESxN_SAMPLES`` sizes and dataset names, comma-separated
    (with ``cv``, --cv's: ``digits-10`` too)."""
    from ._compare import parse_sizes

    datasets = (*DATASETS, "digits-10") if cv else DATASETS
    problems: list = []
    for token in (part.strip() for part in text.split(",")):
        if token in datasets:
            problems.append(token)
            continue
        try:
            problems.extend(parse_sizes(token))
        except ValueError:
            raise ValueError(f"{token!r} is neither N_FEATURESxN_SAMPLES (for example 20x20000) nor "
                             f"a dataset ({', '.join(datasets)})") from None
    return problems


@dataclass(frozen=True)
class _Penalty:
    """scikit-learn's ``C`` and ``l1_ratio`` for one problem (``l1_ratio = 0``: the L2 comparison)."""

    C: float = _C
    l1_ratio: float = 0.0


def _coefficients(model) -> np.ndarray:
    return model.coef_.toarray() if hasattr(model.coef_, "toarray") else np.asarray(model.coef_)


def _solves_liblinear(method: str) -> bool:
    """Whether a method fits liblinear's problem (the intercept penalised)."""
    return method.endswith(" liblinear")


def _objective(model, X, y, penalty: _Penalty = _Penalty(), liblinear: bool = False) -> float:
    """scikit-learn's objective at a fitted model: mean log-loss + (l1_ratio ||coef||_1 + (1 -
    l1_ratio)/2 ||coef||^2) / (C n); ``liblinear``: the intercept counted as a coefficient
    (``intercept_scaling = 1``)."""
    index = np.searchsorted(model.classes_, y)
    log_p = model.predict_log_proba(X)[np.arange(len(y)), index]
    coef = _coefficients(model)
    if liblinear:
        coef = np.append(coef, model.intercept_)
    l1_ratio = penalty.l1_ratio
    term = l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * np.sum(coef ** 2)
    return float(-log_p.mean() + term / (penalty.C * len(y)))


def _l1_penalty(X, y, l1_ratio: float) -> _Penalty:
    """The penalty whose L1 strength is ``lambda_max / 10`` (the module docstring)."""
    n = X.shape[0]
    classes = np.unique(y)
    Y = (np.asarray(y)[:, None] == (classes if classes.size > 2 else classes[1:])).astype(np.float64)
    lambda_max = float(np.abs(X.T @ (Y - Y.mean(axis=0))).max()) / n
    alpha = lambda_max / (10 * l1_ratio)
    return _Penalty(C=1.0 / (alpha * n), l1_ratio=l1_ratio)


def _problem(n_features: int, n_samples: int, seed: int = 0, classes: int = 2,
             density: float | None = None):
    rng = np.random.default_rng(seed)
    if density is not None:
        from ._compare import sparse_problem

        X = sparse_problem(n_features, n_samples, density, np.dtype(np.float64), seed=seed).T.tocsr()
        scale = np.sqrt(max(1.0, density * n_features))
    else:
        X = rng.standard_normal((n_samples, n_features))
        scale = np.sqrt(n_features)
    if classes > 2:  # argmax of logits plus Gumbel noise: a draw from the softmax model
        beta = 3.0 * rng.standard_normal((classes, n_features)) / scale
        y = (X @ beta.T + rng.gumbel(size=(n_samples, classes))).argmax(axis=1)
        return X, y
    beta = 3.0 * rng.standard_normal(n_features) / scale
    y = (rng.random(n_samples) < 1.0 / (1.0 + np.exp(-(X @ beta)))).astype(int)
    return X, y


def _peer(module: str) -> bool:
    """Whether a peer library (not a dependency) can be imported here."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _l1_methods(tol: float, binary: bool, penalty: _Penalty) -> dict[str, Callable[[], object]]:
    from sklearn.linear_model import LogisticRegression as Sklearn

    from .estimator import LogisticRegression

    C, l1_ratio = penalty.C, penalty.l1_ratio
    methods: dict[str, Callable[[], object]] = {
        "fastlr prox-newton": lambda: LogisticRegression(C=C, l1_ratio=l1_ratio, tol=tol,
                                                         solver="prox-newton", max_iter=1_000),
        "sklearn saga": lambda: Sklearn(C=C, l1_ratio=l1_ratio, tol=tol, solver="saga",
                                        max_iter=_SAGA_MAX_ITER),
    }
    if binary and l1_ratio == 1:
        methods["sklearn liblinear"] = lambda: Sklearn(C=C, l1_ratio=1.0, tol=tol, solver="liblinear",
                                                       max_iter=10_000)
    if binary and _peer("skglm"):
        def skglm():
            from skglm import SparseLogisticRegression

            return _Skglm(SparseLogisticRegression, C, l1_ratio, tol)

        methods["skglm"] = skglm
    if binary and l1_ratio == 1 and _peer("celer"):
        def celer():
            from celer import LogisticRegression as Celer

            return Celer(C=C, tol=tol, fit_intercept=False)

        methods["celer (no intercept)"] = celer
    return methods


class _Skglm:
    """skglm's ``SparseLogisticRegression`` at scikit-learn's ``C`` (its ``alpha`` is ``1 / (C n)``)."""

    def __init__(self, cls, C: float, l1_ratio: float, tol: float):
        self._make = lambda n: cls(alpha=1.0 / (C * n), l1_ratio=l1_ratio, tol=tol, max_iter=1_000,
                                   fit_intercept=True)

    def fit(self, X, y):
        self.model = self._make(X.shape[0]).fit(X, y)
        self.classes_ = self.model.classes_
        self.coef_ = np.atleast_2d(self.model.coef_)
        self.intercept_ = float(np.ravel(self.model.intercept_)[0])
        self.n_iter_ = np.atleast_1d(getattr(self.model, "n_iter_", 0))
        return self

    def predict_log_proba(self, X):
        """From ``coef_`` and ``intercept_`` (the model's own ``predict_proba`` is not the logistic one)."""
        z = np.asarray(X @ self.coef_[0]).ravel() + self.intercept_
        return np.column_stack([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)])

    def set_params(self, **params):
        return self


#: The solver names scikit-learn's ``LogisticRegression`` takes (``--solver``).
SKLEARN_SOLVERS = ("lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga")


def check_solvers(solvers: Iterable[str], l1_ratio: float = 0.0, classes: int | None = None) -> tuple[str, ...]:
    """``--solver``'s names, checked against the problem they will fit (scikit-learn's refusals)."""
    solvers = tuple(solvers)
    for name in solvers:
        if name not in SKLEARN_SOLVERS:
            raise ValueError(f"--solver {name!r} is not one of scikit-learn's solver names "
                             f"({', '.join(SKLEARN_SOLVERS)})")
        if l1_ratio > 0 and not (name == "saga" or (name == "liblinear" and l1_ratio == 1)):
            raise ValueError(f"--solver {name} does not fit an L1 term in scikit-learn: with "
                             "--l1-ratio, saga (or liblinear with --l1-ratio 1)")
        if name == "liblinear" and (classes or 2) > 2:
            raise ValueError("--solver liblinear fits two classes only (scikit-learn refuses more)")
    return solvers


def _pair_methods(solvers: Iterable[str], tol: float, penalty: _Penalty) -> dict[str, Callable[[], object]]:
    """``fastlr NAME`` and ``sklearn NAME`` for each scikit-learn solver name: the same problem
    (liblinear's penalises the intercept), each library's own way to its optimum."""
    from sklearn.linear_model import LogisticRegression as Sklearn

    from .estimator import LogisticRegression

    l1 = {"l1_ratio": penalty.l1_ratio} if penalty.l1_ratio > 0 else {}
    methods: dict[str, Callable[[], object]] = {}
    for name in solvers:
        max_iter = _SAGA_MAX_ITER if name in ("sag", "saga") else 10_000
        methods[f"fastlr {name}"] = (lambda name=name: LogisticRegression(
            C=penalty.C, tol=tol, solver=name, max_iter=10_000, **l1))
        methods[f"sklearn {name}"] = (lambda name=name, max_iter=max_iter: Sklearn(
            C=penalty.C, tol=tol, solver=name, max_iter=max_iter, **l1))
    return methods


def _methods(tol: float, binary: bool, newton_sklearn: bool = True,
             penalty: _Penalty = _Penalty(), gd: bool = True,
             solvers: tuple[str, ...] | None = None) -> dict[str, Callable[[], object]]:
    if solvers:
        return _pair_methods(solvers, tol, penalty)
    if penalty.l1_ratio > 0:
        return _l1_methods(tol, binary, penalty)
    from sklearn.linear_model import LogisticRegression as Sklearn

    from .estimator import LogisticRegression

    methods = {
        "fastlr lbfgs": lambda: LogisticRegression(C=penalty.C, tol=tol, max_iter=10_000),
        "fastlr newton-cholesky": lambda: LogisticRegression(C=penalty.C, tol=tol, solver="newton-cholesky",
                                                             max_iter=10_000),
        "fastlr newton-cg": lambda: LogisticRegression(C=penalty.C, tol=tol, solver="newton-cg",
                                                       max_iter=10_000),
        "fastlr gd": lambda: LogisticRegression(C=penalty.C, tol=tol, solver="gd", max_iter=_GD_MAX_ITER),
        "sklearn lbfgs": lambda: Sklearn(C=penalty.C, tol=tol, max_iter=10_000),
        "sklearn newton-cholesky": lambda: Sklearn(C=penalty.C, tol=tol, solver="newton-cholesky", max_iter=10_000),
        "sklearn newton-cg": lambda: Sklearn(C=penalty.C, tol=tol, solver="newton-cg", max_iter=10_000),
        "sklearn liblinear": lambda: Sklearn(C=penalty.C, tol=tol, solver="liblinear", max_iter=10_000),
    }
    if not binary:
        del methods["fastlr newton-cholesky"], methods["sklearn liblinear"]
    if not newton_sklearn:
        del methods["sklearn newton-cholesky"]
        methods.pop("fastlr newton-cholesky", None)
    if not gd:
        del methods["fastlr gd"]
    return methods


def _problem_methods(problem, tol: float, classes: int | None, density: float | None,
                     penalty: _Penalty = _Penalty(), solvers: tuple[str, ...] | None = None):
    """The methods fitted on ``problem``, and the problem's ``(n_samples, n_features)``."""
    if isinstance(problem, str):
        shape, binary = _DATASET_SHAPES[problem], True
        sparse = problem in _SPARSE_DATASETS
    else:
        shape, binary = (problem[1], problem[0]), (classes or 2) == 2
        sparse = density is not None
    newton_sklearn = not sparse or shape[1] <= NEWTON_MAX_FEATURES
    gd = not (isinstance(problem, str) and problem in _SPARSE_DATASETS)
    return _methods(tol, binary, newton_sklearn, penalty, gd, solvers), shape


def fit_steps(sizes: Iterable, repeat: int = 3, classes: int | None = None,
              density: float | None = None, l1_ratio: float = 0.0,
              solvers: tuple[str, ...] | None = None) -> tuple[int, float]:
    """How many times :func:`measure_fits` calls ``on_step`` for these arguments, and the
    work they add up to (each step weighs :func:`step_work`)."""
    steps, work = 0, 0.0
    for problem in sizes:
        methods, (n_samples, n_features) = _problem_methods(problem, 1.0, classes, density,
                                                            _Penalty(l1_ratio=l1_ratio), solvers)
        count = 1 + repeat * len(methods) + any(_solves_liblinear(name) for name in methods)
        steps += count
        stored = _DATASET_STORED.get(problem) if isinstance(problem, str) else None
        stored = stored or n_samples * n_features * (1.0 if density is None else density)
        work += count * step_work(stored, _classes(problem, classes), _FIT_OVERHEAD)
    return steps, work


def _fit(make, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = make().fit(X, y)
    converged = not any("converge" in str(w.message).lower() or "max_iter" in str(w.message)
                        for w in caught)
    n_iter = int(np.max(getattr(model, "n_iter_", 0)))  # celer does not say
    return model, n_iter, converged


def interleaved_best(methods: dict[str, Callable[[], Any]], run: Callable[[Callable[[], Any]], Any],
                     repeat: int, step: Callable[[str], None]) -> tuple[dict[str, float], dict[str, Any]]:
    """Time ``run(make)`` for every ``(name, make)`` of ``methods`` in ``repeat`` interleaved
    rounds (each round runs every method once, after a pause of ``_SETTLE_SECONDS``), calling
    ``step(name)`` after each; return the best seconds and the last result, by name."""
    best = dict.fromkeys(methods, float("inf"))
    results = {}
    for _ in range(repeat):
        for name, make in methods.items():
            time.sleep(_SETTLE_SECONDS)
            start = time.perf_counter()
            results[name] = run(make)
            best[name] = min(best[name], time.perf_counter() - start)
            step(name)
    return best, results


def measure_fits(sizes: Iterable = FIT_SIZES, tol: float = 1e-6, repeat: int = 3,
                 on_step: Callable[[str, float], None] | None = None,
                 classes: int | None = None, density: float | None = None,
                 l1_ratio: float = 0.0, C: float = _C,
                 solvers: tuple[str, ...] | None = None) -> list[FitMeasurement]:
    """Fit every method on every problem (a size or a name in :data:`DATASETS`; K =
    ``classes``, default 2; sparse X with ``density``; scikit-learn's ``C`` for the L2
    penalty; an elastic-net penalty with ``l1_ratio > 0``; with ``solvers``, the pairs
    of those scikit-learn names only); see the module docstring.

    ``on_step(note, work)`` is called once the reference optimum of a problem
    is found (liblinear's too, when a method solves it) and after every timed
    fit (:func:`fit_steps` counts them), with what the step weighs (:func:`step_work`) as ``work``.
    """
    from sklearn.linear_model import LogisticRegression as Sklearn

    from .estimator import LogisticRegression

    results = []
    for problem in sizes:
        if isinstance(problem, str):
            X, y = _dataset(problem)
        else:
            X, y = _problem(*problem, classes=classes or 2, density=density)
        n_samples, n_features = X.shape
        label = problem if isinstance(problem, str) else "synthetic"
        penalty = _l1_penalty(X, y, l1_ratio) if l1_ratio > 0 else _Penalty(C=C)
        methods, _ = _problem_methods(problem, tol, classes, density, penalty, solvers)
        work = step_work(X.nnz if hasattr(X, "nnz") else
                         n_samples * n_features * (1.0 if density is None else density),
                         _classes(problem, classes), _FIT_OVERHEAD)

        def step(note: str) -> None:
            if on_step is not None:
                on_step(f"{label} {n_features}x{n_samples}: {note}", work)
        for warm_up in methods:
            if warm_up.startswith("fastlr"):  # compile or load numba's cache
                _fit(lambda: methods[warm_up]().set_params(max_iter=2), X, y)
        sample = slice(None, None, max(1, n_samples // 200))
        for peer in ("skglm", "celer (no intercept)"):  # numba-compiled too: their first fit compiles
            if peer in methods:
                _fit(methods[peer], X[sample], y[sample])
        if penalty.l1_ratio > 0:
            exact = _fit(lambda: LogisticRegression(C=penalty.C, l1_ratio=penalty.l1_ratio, tol=1e-10,
                                                    solver="prox-newton", max_iter=1_000), X, y)[0]
        else:
            exact = _fit(lambda: Sklearn(C=C, tol=1e-10, max_iter=100_000), X, y)[0]
        optimum = _objective(exact, X, y, penalty)
        step("the optimum")
        if any(_solves_liblinear(name) for name in methods):  # its own problem's optimum
            l1 = {"l1_ratio": penalty.l1_ratio} if penalty.l1_ratio > 0 else {}
            exact_liblinear = _fit(lambda: LogisticRegression(C=penalty.C, tol=1e-10, solver="liblinear",
                                                              max_iter=100_000, **l1), X, y)[0]
            optimum_liblinear = _objective(exact_liblinear, X, y, penalty, liblinear=True)
            step("liblinear's optimum")
        best, fitted = interleaved_best(methods, lambda make: _fit(make, X, y), repeat, step)
        reference = _coefficients(exact if solvers or penalty.l1_ratio > 0 else fitted["sklearn lbfgs"][0])
        for name, (model, n_iter, converged) in fitted.items():
            liblinear = _solves_liblinear(name)
            coef = _coefficients(model)
            reference_here = _coefficients(exact_liblinear) if liblinear else reference
            scale = float(np.abs(reference_here).max()) or 1.0
            difference = float(np.abs(coef - reference_here).max()) / scale
            best_here = optimum_liblinear if liblinear else optimum
            excess = (_objective(model, X, y, penalty, liblinear) - best_here) / best_here
            results.append(FitMeasurement(n_features, n_samples, name, best[name], n_iter, converged,
                                          difference, label, excess, int(np.count_nonzero(coef))))
    return results


def fit_table(results: list[FitMeasurement], pairs: bool = False, l1: bool | None = None) -> str:
    """The fits as a text table, with the speed-up over scikit-learn's lbfgs (saga with an L1
    term); ``pairs`` (``--solver``): over scikit-learn's solver of the same name. ``l1``
    (whether the fits had an L1 term; by default, whether saga was the base) adds the
    count of non-zero coefficients."""
    if l1 is None:
        l1 = any(result.method == "sklearn saga" for result in results) and not pairs
    base_name = "sklearn saga" if l1 else "sklearn lbfgs"
    header = ("problem", "features", "samples", "method", "time to fit",
              "vs sklearn, same name" if pairs else f"vs {base_name}",
              "iterations", "converged", "coef vs optimum" if l1 or pairs else "coef vs sklearn",
              "objective excess") + (("non-zero",) if l1 else ())
    rows = [header]
    by_size: dict[tuple[str, int, int], dict[str, FitMeasurement]] = {}
    for result in results:
        key = (result.problem, result.n_features, result.n_samples)
        by_size.setdefault(key, {})[result.method] = result
    for (problem, n_features, n_samples), row in by_size.items():
        for name, result in row.items():
            base = row["sklearn " + name.split(" ", 1)[1] if pairs else base_name].seconds
            rows.append((problem, str(n_features), str(n_samples), name, _duration(result.seconds),
                         f"{base / result.seconds:.2f}x", str(result.n_iter),
                         "yes" if result.converged else "no", f"{result.coef_difference:.1e}",
                         f"{result.objective_excess:.1e}") + ((str(result.non_zero),) if l1 else ()))
    return text_table(rows)


def _duration(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"
