"""The ``fastlr`` command (also ``python -m fastlr``).

``fastlr compare``
    The course notes' speed table, measured here (see ``fastlr._compare``).
``fastlr precompile``
    Compile every variant of the compiled kernels into numba's on-disk
    cache ahead of time, with a progress bar (see ``fastlr._precompile``).
``fastlr train FILE.csv --target COLUMN``
    Train on a CSV file (a header row, numeric feature columns, a target
    column with two classes, or more for the multinomial problem; ``--drop``
    leaves out columns that are not features) and optionally save the model as JSON,
    which ``fastlr.LogisticRegression.load`` reads back. It fits what
    ``fastlr.LogisticRegression(C=...)`` fits (scikit-learn's objective;
    ``--C inf``: no penalty; ``--l1-ratio`` for L1 or elastic net), by ``lbfgs``
    unless ``--solver newton-cholesky`` or ``gd`` (``prox-newton`` when
    ``--l1-ratio`` is above 0).
    ``--standardize`` trains on features scaled to mean 0 and standard
    deviation 1 and saves the model for the raw features (the scaling folded
    into the coefficients), so that it predicts on the file's columns.
``fastlr predict MODEL.json FILE.csv``
    Predict every row of a CSV file with a saved model (``--proba`` for the
    probabilities), the model's features found in the file by name.

Bad input (a missing file or column, a non-numeric feature, a target with
fewer than two values, an output folder that does not exist, an unknown
kernel) prints one line on stderr and exits with status 2, without a
traceback, before any training. Ctrl-C prints one line and exits with
status 130, as shells expect of an interrupted command.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
import warnings
from dataclasses import asdict
from typing import Sequence

import numpy as np

from . import __version__
from ._compare import (
    DEFAULT_SIZES,
    QUICK_SIZES,
    READ,
    as_records,
    environment,
    measure,
    parse_sizes,
    speedup_table,
)
from ._errors import KernelUnavailableError, UnknownKernelError
from ._model_file import model_dict, write_model
from ._objective import alpha_from_C
from ._progress import Progress
from ._registry import KERNELS, available_kernels, get_kernel
from ._solvers import SOLVERS, get_solver, solver_names
from ._training import train

__all__ = ["main"]


class UsageError(Exception):
    """Bad input from the command line: one line on stderr, exit status 2."""


def _kernel_names(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = []
    for item in text.split(","):
        try:
            names.append(get_kernel(item).name)
        except (UnknownKernelError, KernelUnavailableError) as exc:
            raise UsageError(str(exc)) from None
    order = (*KERNELS, "auto")
    return tuple(sorted(set(names), key=order.index))


#: Set to 1, every ``fastlr compare`` runs as with ``--quick`` (how CI runs the README's commands).
QUICK_VARIABLE = "FASTLR_QUICK"


def _quick(args: argparse.Namespace) -> bool:
    """``--quick``, or :data:`QUICK_VARIABLE` set to 1."""
    return bool(args.quick) or os.environ.get(QUICK_VARIABLE, "") == "1"


def _print_heading(title: str, info: dict) -> None:
    """A comparison's first lines: what was measured, then the versions and the machine."""
    print(title)
    print(f"numpy {info['numpy']}, numba {info['numba']}, Python {info['python']}, {info['machine']}, "
          f"{info['cpus']} cores; BLAS {info['blas']}; OpenBLAS settings: {info['blas_settings']}")
    print()


def _write_json(path: str | None, report: dict) -> None:
    """``--json FILE``: a comparison's settings and measurements as one JSON object."""
    if path:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(report, file, indent=1)
            file.write("\n")


def _compare(args: argparse.Namespace) -> int:
    if args.blas_threads is None:
        return _compare_measured(args)
    from ._blas import blas_controller

    controller = blas_controller()
    if controller is None:
        raise UsageError("--blas-threads needs threadpoolctl: pip install threadpoolctl")
    with controller.limit(limits=args.blas_threads, user_api="blas"):  # restored on return
        return _compare_measured(args)


def _compare_measured(args: argparse.Namespace) -> int:
    if args.cv:
        return _compare_searches(args)
    if args.fit:
        return _compare_fits(args)
    if args.l1_ratio:
        raise UsageError("--l1-ratio applies to fits: add --fit")
    if args.C != 1.0:
        raise UsageError("--C applies to fits: add --fit")
    for flag, value in (("--solver", args.solver), ("--tol", args.tol)):
        if value is not None:
            raise UsageError(f"{flag} applies to fits: add --fit")
    try:
        sizes = parse_sizes(args.sizes) if args.sizes else (QUICK_SIZES if _quick(args) else DEFAULT_SIZES)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    kernels = _kernel_names(args.kernels) or (*available_kernels(), "auto")
    repeat = args.repeat if args.repeat is not None else (3 if _quick(args) else 5)
    budget = args.budget if args.budget is not None else (2.0 if _quick(args) else 10.0)
    progress = Progress(len(sizes) * len(kernels), "measuring")
    started = time.perf_counter()
    results = measure(sizes, kernels, repeat=repeat, budget=budget,
                      on_step=lambda note: progress.advance(1, note), dtype=args.dtype, order=args.order,
                      classes=args.classes, density=args.density, sparse_format=args.format)
    progress.close()
    info = environment()
    layout = "C-ordered (features contiguous)" if args.order == "C" else "F-ordered (examples contiguous)"
    if args.density is not None:
        layout = (f"sparse {args.format.upper()} (n_x, m), density {args.density:g}, values and "
                  "int32 indices")
    what = "gradient" if args.classes is None else f"multinomial gradient of {args.classes} classes"
    _print_heading(f"fastlr {__version__}: time per {what} ({args.dtype}, X {layout}, best of {repeat}), "
                   f"measured side by side in {time.perf_counter() - started:.1f} s", info)
    print(speedup_table(results))
    print()
    print(f"{READ}: the fastest pass over X measured at that size (a parallel read, a one-thread "
          "X.sum(), or a kernel if one was faster); 'of read' is its time over the kernel's.")
    print("first call: the first gradient at that size, including numba's compile or cache load.")
    _write_json(args.json, {"environment": info, "repeat": repeat, "budget_seconds": budget,
                            "dtype": args.dtype, "order": args.order, "classes": args.classes,
                            "density": args.density, "format": args.format,
                            "results": as_records(results)})
    return 0


def _compare_fits(args: argparse.Namespace) -> int:
    try:
        from ._compare_fit import (FIT_PROBLEMS, FIT_SIZES, QUICK_FIT_PROBLEMS, QUICK_FIT_SIZES,
                                   check_solvers, fit_steps, fit_table, measure_fits, parse_problems)
    except ImportError as exc:  # pragma: no cover - sklearn missing
        raise UsageError(f"fastlr compare --fit needs scikit-learn ({exc}); "
                         "install it with `pip install scikit-learn` (a dependency of "
                         "fastlr-kernels)") from None
    try:
        solvers = (check_solvers(_names(args.solver), args.l1_ratio, args.classes)
                   if args.solver else None)
        plain = args.classes is None and args.density is None
        if args.sizes:
            sizes = parse_problems(args.sizes)
        elif _quick(args):
            sizes = list(QUICK_FIT_PROBLEMS if plain else QUICK_FIT_SIZES)
        else:
            sizes = list(FIT_PROBLEMS if plain else FIT_SIZES)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    repeat = args.repeat if args.repeat is not None else 3
    tol = 1e-6 if args.tol is None else args.tol
    steps, work = fit_steps(sizes, repeat, classes=args.classes, density=args.density,
                            l1_ratio=args.l1_ratio, solvers=solvers)
    progress = Progress(steps, "fitting", work=work)
    started = time.perf_counter()
    results = measure_fits(sizes, tol=tol, repeat=repeat,
                           on_step=lambda note, weight: progress.advance(1, note, weight),
                           classes=args.classes, density=args.density, l1_ratio=args.l1_ratio,
                           C=args.C, solvers=solvers)
    progress.close()
    info = environment()
    what = "" if args.classes is None else f", {args.classes} classes (multinomial)"
    penalty = f"C = {args.C:g}"
    if args.l1_ratio:
        penalty = (f"l1_ratio = {args.l1_ratio:g}, L1 strength lambda_max / 10 (C set per "
                   "problem)")
    if args.density is not None:
        what += f", sparse CSR X of density {args.density:g}"
    _print_heading(f"fastlr {__version__}: time to fit (float64, {penalty}, tol = {tol:g}{what}, best of "
                   f"{repeat}), measured side by side in {time.perf_counter() - started:.1f} s", info)
    print(fit_table(results, pairs=bool(solvers), l1=bool(args.l1_ratio)))
    print()
    if args.l1_ratio:
        print("coef vs optimum: largest coefficient difference from fastlr prox-newton at tol=1e-10, "
              "over its largest coefficient; celer fits no intercept, so its optimum differs.")
    elif solvers:
        print("coef vs optimum: largest coefficient difference from sklearn lbfgs at tol=1e-10, over "
              "its largest coefficient; each row's speed-up is over scikit-learn's solver of its name.")
    else:
        print("coef vs sklearn: largest coefficient difference from sklearn lbfgs, over its largest "
              "coefficient.")
    if any(result.method.endswith(" liblinear") for result in results):
        print("liblinear penalises the intercept: its rows are measured against its own optimum "
              "(fastlr liblinear at tol=1e-10, the intercept counted in the penalty).")
    _write_json(args.json, {"environment": info, "repeat": repeat, "tol": tol, "classes": args.classes,
                            "density": args.density, "l1_ratio": args.l1_ratio, "C": args.C,
                            "solvers": solvers, "fits": [asdict(result) for result in results]})
    return 0


def _compare_searches(args: argparse.Namespace) -> int:
    """``fastlr compare --cv``: scikit-learn's LogisticRegressionCV against fastlr's."""
    try:
        from ._compare_cv import (CV_PROBLEMS, QUICK_CV_PROBLEMS, cv_steps, cv_table,
                                  measure_searches)
        from ._compare_fit import check_solvers, parse_problems
    except ImportError as exc:  # pragma: no cover - sklearn missing
        raise UsageError(f"fastlr compare --cv needs scikit-learn ({exc}); "
                         "install it with `pip install scikit-learn` (a dependency of "
                         "fastlr-kernels)") from None
    for flag, used in (("--l1-ratio", args.l1_ratio), ("--C", args.C != 1.0),
                       ("--classes", args.classes is not None)):
        if used:
            raise UsageError(f"{flag} does not apply to --cv (the search is over C = logspace(-4, 4, 10), "
                             "L2; digits-10 is a ten-class problem)")
    try:
        solvers = check_solvers(_names(args.solver) if args.solver else ("lbfgs",))
        if args.sizes:
            problems = [problem if isinstance(problem, str) else (*problem, args.density)
                        for problem in parse_problems(args.sizes, cv=True)]
        else:
            problems = list(QUICK_CV_PROBLEMS if _quick(args) else CV_PROBLEMS)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if "liblinear" in solvers and "digits-10" in problems:
        raise UsageError("--solver liblinear fits two classes only: leave digits-10 out (--sizes)")
    repeat = args.repeat if args.repeat is not None else 3
    tol = 1e-4 if args.tol is None else args.tol
    steps, work = cv_steps(problems, solvers, repeat)
    progress = Progress(steps, "searching", work=work)
    started = time.perf_counter()
    results = measure_searches(problems, solvers, tol=tol, repeat=repeat,
                               on_step=lambda note, weight: progress.advance(1, note, weight))
    progress.close()
    info = environment()
    _print_heading(f"fastlr {__version__}: a search over C = logspace(-4, 4, 10), StratifiedKFold(5), "
                   f"accuracy (float64, tol = {tol:g}, max_iter = 1000, best of {repeat}), measured side "
                   f"by side in {time.perf_counter() - started:.1f} s", info)
    print(cv_table(results))
    print()
    print("vs sklearn: over scikit-learn's LogisticRegressionCV of the same solver. same C_: the C "
          "chosen is scikit-learn's. max score diff: the largest difference of the per-fold, per-C "
          "accuracies from scikit-learn's (one test example is 1 / its fold's size).")
    _write_json(args.json, {"environment": info, "repeat": repeat, "tol": tol, "solvers": solvers,
                            "searches": [asdict(result) for result in results]})
    return 0


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _read_rows(path: str, sep: str) -> tuple[list[str], list[list[str]]]:
    """The header (stripped names, all distinct) and the non-blank data rows of a CSV file."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:  # a byte-order mark is not a name
            rows = list(csv.reader(file, delimiter=sep))
    except OSError as exc:
        raise UsageError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"{path!r} is not a readable CSV file: {exc}") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise UsageError(f"{path!r} is empty; expected a header row, then one row per example")
    header = [name.strip() for name in rows[0]]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise UsageError(f"{path!r} names more than one column {', '.join(map(repr, repeated))}; "
                         "column names must be distinct (which one is the target, or which feature "
                         "is which, would be a guess)")
    rows = [row for row in rows[1:] if any(cell.strip() for cell in row)]
    if not rows:
        raise UsageError(f"{path!r} has a header but no data rows")
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise UsageError(f"{path!r} line {line}: {len(row)} fields, but the header has {len(header)}")
    return header, rows


def _missing_column(path: str, header: list[str], name: str, sep: str) -> UsageError:
    """The error for a column the header lacks, with a hint when the separator looks wrong."""
    message = f"{path!r} has no column {name!r}; its columns are: {', '.join(header)}"
    if len(header) == 1:
        found = [char for char in (";", "\t", "|", ",") if char != sep and char in header[0]]
        if found:
            shown = "tab" if found[0] == "\t" else found[0]
            message += f" (one column: are the fields separated by {shown!r}? pass --sep {shown!r})"
    return UsageError(message)


def _columns(path: str, header: list[str], names: list[str], sep: str) -> list[int]:
    """The positions of ``names`` in ``header``."""
    for name in names:
        if name not in header:
            raise _missing_column(path, header, name, sep)
    return [header.index(name) for name in names]


def _numbers(path: str, header: list[str], rows: list[list[str]], columns: list[int],
             hint: str) -> np.ndarray:
    """The cells of ``columns`` as a float64 ``(len(rows), len(columns))`` array."""
    X = np.empty((len(rows), len(columns)))
    for line, row in enumerate(rows, start=2):
        for column, index in enumerate(columns):
            value = _number(row[index])
            if value is None:
                raise UsageError(
                    f"{path!r} line {line}, column {header[index]!r}: {row[index]!r} is not a finite number; "
                    f"feature columns must be numeric{hint}"
                )
            X[line - 2, column] = value
    return X


def _read_csv(path: str, target: str, sep: str = ",", drop: Sequence[str] = ()):
    """``(X (n_samples, n_features) float64, labels, feature names)`` from a CSV file.

    Every column but the target and those in ``drop`` is a feature.
    """
    header, rows = _read_rows(path, sep)
    target_index = _columns(path, header, [target], sep)[0]
    dropped = set(_columns(path, header, list(drop), sep))
    if target_index in dropped:
        raise UsageError(f"--drop names the target column {target!r}")
    features = [i for i in range(len(header)) if i != target_index and i not in dropped]
    if not features:
        raise UsageError(f"{path!r} has no feature columns besides the target {target!r}"
                         + (" and the dropped ones" if dropped else ""))
    X = _numbers(path, header, rows, features,
                 " (leave a column such as an ID out with --drop NAME)")
    labels = [row[target_index].strip() for row in rows]
    return X, labels, [header[i] for i in features]


def _names(text: str | None) -> list[str]:
    """A comma-separated list of names (``--drop``'s columns, ``--solver``'s solvers)."""
    return [] if not text else [name.strip() for name in text.split(",") if name.strip()]


def _classes(labels: list[str], target: str) -> tuple[list, np.ndarray]:
    """The classes, sorted (numbers when every label is one), and each label's class index.

    Numeric labels are compared as numbers, so that ``0`` and ``0.0`` are one
    class; any other label as text. Two classes give 0/1 float labels (the
    binary problem), more give int64 indices (the multinomial one).
    """
    distinct = sorted(set(labels))
    numbers = {label: _number(label) for label in distinct}
    numeric = all(number is not None for number in numbers.values())
    values = sorted(set(numbers.values())) if numeric else distinct
    if len(values) < 2:
        if numeric and len(values) != len(distinct):
            spelled = ", ".join(repr(value) for value in distinct[:8]) + (", ..." if len(distinct) > 8 else "")
            found = (f"{len(values)} distinct numeric value{'s' if len(values) != 1 else ''} "
                     f"(written {spelled})")
        else:
            shown = ", ".join(repr(value) for value in distinct[:5]) + (", ..." if len(distinct) > 5 else "")
            found = f"{len(distinct)} distinct values ({shown})"
        raise UsageError(f"target column {target!r} has {found}; fastlr train needs two or more classes")
    position = {value: index for index, value in enumerate(values)}
    index = np.array([position[numbers[label] if numeric else label] for label in labels], dtype=np.int64)
    y = index.astype(np.float64) if len(values) == 2 else index
    if numeric:
        return [int(n) if float(n).is_integer() else n for n in values], y
    return values, y


def _check_output(path: str | None) -> None:
    """Fail before training when the model could not be saved where asked."""
    if not path:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot save the model to {path!r}: folder {folder!r} does not exist")
    if os.path.isdir(path):
        raise UsageError(f"cannot save the model to {path!r}: it is a folder")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot save the model to {path!r}: folder {folder!r} is not writable")


#: The solver ``fastlr train`` takes by default when ``--l1-ratio`` is above 0.
_L1_DEFAULT = next(solver.name for solver in SOLVERS if solver.l1)


def _standardized(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(Z, mean, scale)`` with ``Z = (X - mean) / scale``; a constant column keeps scale 1."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0.0] = 1.0
    return (X - mean) / scale, mean, scale


def _fit(args: argparse.Namespace, X: np.ndarray, y: np.ndarray, kernel: str, n_classes: int):
    """Train with a progress line; returns ``(w, b, costs, converged, kernel that ran)``.

    Two classes: the binary problem, ``w (n_features,)`` and a float ``b``;
    more: the multinomial one, ``w (K, n_features)`` and ``b (K,)``.
    """
    multinomial = {"n_classes": n_classes} if n_classes > 2 else {}
    alpha = alpha_from_C(args.C, X.shape[0])
    if args.l1_ratio:
        multinomial["l1_ratio"] = args.l1_ratio
    progress = Progress(args.max_iter, "training", estimate=False)  # it may stop far sooner
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarnings: reported once, by the caller
        if get_solver(args.solver).minimizer is not None:
            def report(iteration, w, b, cost):
                progress.advance(1, f"cost {cost:.6g}")

            result = train(X.T, y, kernel=kernel, alpha=alpha, tol=args.tol, max_iter=args.max_iter,
                           solver=args.solver, callback=report, **multinomial)
            w, b, costs, converged = result.w, result.b, result.costs.tolist(), result.converged
        else:  # gradient descent in chunks, resumed exactly, for the progress line
            chunk = max(1, args.max_iter // 50)
            w, b, costs, step, converged = None, 0.0, [], args.learning_rate, False
            while len(costs) < args.max_iter and not converged:
                result = train(X.T, y, kernel=kernel, alpha=alpha, learning_rate=step, tol=args.tol,
                               max_iter=min(chunk, args.max_iter - len(costs)), w0=w, b0=b,
                               **multinomial)
                w, b, step, converged = result.w, result.b, result.learning_rate, result.converged
                costs.extend(result.costs.tolist())
                progress.advance(result.n_iter, f"cost {costs[-1]:.6g}")
    progress.close()
    return w, b, costs, converged, result.kernel


def _advice(args: argparse.Namespace) -> str:
    """What to try when training stopped at ``--max-iter``."""
    tries = [f"a larger --max-iter (now {args.max_iter})"]
    if not args.standardize:
        tries.insert(0, "--standardize (features on different scales slow convergence)")
    if args.solver == "gd":
        tries.append("--solver lbfgs (far fewer iterations)")
    return "; try " + ", or ".join(tries)


def _precompile(args: argparse.Namespace) -> int:
    from ._precompile import COMPILED_KERNELS, precompile

    kernels = None
    if args.kernels:
        kernels = []
        for name in (item.strip() for item in args.kernels.split(",") if item.strip()):
            kernel = get_kernel(name).name  # UnknownKernelError, or unavailable
            if kernel not in COMPILED_KERNELS:
                raise UsageError(f"{name!r} is not a compiled kernel; choose from "
                                 f"{', '.join(COMPILED_KERNELS)}")
            kernels.append(kernel)
    report = precompile(kernels)
    slowest = max(report.seconds, key=lambda item: item[1])
    print(f"compiled {len(report.seconds)} variants in {report.total:.1f} s "
          f"(slowest: {slowest[0]}, {slowest[1]:.1f} s) into {report.folder}")
    return 0


def _train(args: argparse.Namespace) -> int:
    _check_output(args.output)
    if args.solver is None:
        args.solver = _L1_DEFAULT if args.l1_ratio else solver_names()[0]
    elif args.l1_ratio and not get_solver(args.solver).l1:
        raise UsageError(f"--l1-ratio {args.l1_ratio:g} (an L1 term) needs --solver {_L1_DEFAULT}; "
                         f"--solver {args.solver} fits an L2 penalty only")
    X, labels, feature_names = _read_csv(args.file, args.target, args.sep, _names(args.drop))
    classes, y = _classes(labels, args.target)
    kernel = get_kernel(args.kernel).name if args.kernel else "auto"
    started = time.perf_counter()
    if args.standardize:
        Z, mean, scale = _standardized(X)
        w, b, costs, converged, ran = _fit(args, Z, y, kernel, len(classes))
        w = w / scale  # the same decision values on the raw features
        b = b - w @ mean
    else:
        w, b, costs, converged, ran = _fit(args, X, y, kernel, len(classes))
    seconds = time.perf_counter() - started
    if len(classes) == 2:
        b = float(b)
        accuracy = float(np.mean(((X @ w + b) > 0) == (y == 1.0)))
    else:
        accuracy = float(np.mean(np.argmax(X @ w.T + b, axis=1) == y))
    scaled = " (standardized)" if args.standardize else ""
    problem = "" if len(classes) == 2 else f", {len(classes)} classes (multinomial)"
    print(f"trained on {X.shape[0]} examples x {X.shape[1]} features{scaled}{problem} with solver "
          f"{args.solver!r}, kernel {ran!r}, C={args.C:g}"
          + (f", l1_ratio={args.l1_ratio:g} ({np.count_nonzero(w)} non-zero coefficients)"
             if args.l1_ratio else ""))
    n_iter = len(costs) - (get_solver(args.solver).minimizer is not None)  # gd: no start cost
    print(f"iterations: {n_iter} ({'converged' if converged else 'max_iter reached before tol' + _advice(args)})")
    print(f"final cost: {costs[-1]:.6g}")
    print(f"training accuracy: {accuracy:.4f}")
    print(f"time: {seconds:.3f} s")
    if args.output:
        params = {"C": args.C, "l1_ratio": args.l1_ratio, "solver": args.solver,
                  "kernel": args.kernel or "auto", "learning_rate": args.learning_rate,
                  "max_iter": args.max_iter, "tol": args.tol}
        try:
            intercept = b if len(classes) == 2 else np.asarray(b, dtype=np.float64).tolist()
            write_model(model_dict(params=params, classes=classes, coef=w.tolist(), intercept=intercept,
                                   dtype=w.dtype.name, n_iter=n_iter, loss_curve=costs,
                                   feature_names=feature_names), args.output)
        except OSError as exc:
            raise UsageError(f"cannot save the model to {args.output!r}: {exc.strerror or exc}") from None
        print(f"model saved to {args.output} (load it with fastlr.LogisticRegression.load)")
    return 0


def _predict(args: argparse.Namespace) -> int:
    """Predict every row of a CSV file; one line per row, a header naming the columns."""
    from .estimator import LogisticRegression

    try:
        model = LogisticRegression.load(args.model)
    except OSError as exc:
        raise UsageError(f"cannot read {args.model!r}: {exc.strerror or exc}") from None
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        raise UsageError(f"{args.model!r} does not name its features (it was fitted on an array, not "
                         "on named columns), so its columns cannot be found in a CSV file")
    header, rows = _read_rows(args.file, args.sep)
    X = _numbers(args.file, header, rows, _columns(args.file, header, list(names), args.sep), "")
    with warnings.catch_warnings():
        # the columns were matched to the model's features by name just above
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        if args.proba:
            lines = [[f"proba_{c}" for c in model.classes_]]
            lines += [[repr(float(p)) for p in row] for row in model.predict_proba(X)]
        else:
            lines = [["prediction"]] + [[str(label)] for label in model.predict(X).tolist()]
    text = "".join(",".join(cells) + "\n" for cells in lines)
    if args.output:
        _check_output(args.output)
        with open(args.output, "w", encoding="utf-8") as file:
            file.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _positive_C(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0:  # also NaN
        raise argparse.ArgumentTypeError(f"must be a number > 0 or 'inf', not {text!r}")
    return value


def _positive_finite(text: str) -> float:
    value = _positive_C(text)
    if math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, not {text!r}")
    return value


def _separator(text: str) -> str:
    text = "\t" if text in ("\\t", "tab") else text
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"must be one character (or 'tab'), not {text!r}")
    return text


def _learning_rate(text: str) -> float | str:
    if text == "auto":
        return text
    value = _number(text)
    if value is None or value <= 0:
        raise argparse.ArgumentTypeError(f"must be 'auto' or a number > 0, not {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, not {value}")
    return value


def _class_count(text: str) -> int:
    value = _positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be >= 2 classes, not {value}")
    return value


def _density(text: str) -> float:
    value = _number(text)
    if value is None or not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1], not {text!r}")
    return value


def _ratio(text: str) -> float:
    """``--l1-ratio``: a number in [0, 1]."""
    value = _number(text)
    if value is None or not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1], not {text!r}")
    return value


def _non_negative(text: str) -> float:
    value = _number(text)
    if value is None or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, not {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastlr", description="Logistic-regression gradient kernels, measured.")
    parser.add_argument("--version", action="version", version=f"fastlr {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    compare = commands.add_parser("compare", help="time every kernel side by side (the course notes' table)")
    compare.add_argument("--sizes", help="comma-separated N_XxM sizes, e.g. 100x10000,1000x100000")
    compare.add_argument("--kernels", help="comma-separated kernel names (default: all available)")
    compare.add_argument("--repeat", type=_positive_int, help="timed runs per measurement (best is kept)")
    compare.add_argument("--budget", type=_non_negative, help="seconds a kernel may take at one size before it is skipped")
    compare.add_argument("--quick", action="store_true",
                         help="two small sizes (with --fit: two small problems); a few seconds in all; "
                              "FASTLR_QUICK=1 in the environment does the same")
    compare.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                         help="dtype of X (default float64)")
    compare.add_argument("--order", choices=("C", "F"), default="C",
                         help="memory layout of X (n_x, m): C, features contiguous (default), or F, "
                              "examples contiguous (what LogisticRegression passes)")
    compare.add_argument("--classes", type=_class_count, metavar="K",
                         help="time the multinomial (softmax) gradient of K >= 2 classes instead "
                              "(with --fit: fit K classes)")
    compare.add_argument("--density", type=_density, metavar="D",
                         help="time a sparse X (scipy.sparse) with a fraction D of its entries "
                              "stored, D * n_x per example, instead of a dense one (with --fit: "
                              "CSR samples x features)")
    compare.add_argument("--format", choices=("csc", "csr"), default="csc",
                         help="with --density: CSC (n_x, m), each example's entries together "
                              "(default; what LogisticRegression passes for CSR X), or CSR")
    compare.add_argument("--fit", action="store_true",
                         help="time fitting to convergence instead (fastlr lbfgs, newton-cholesky, "
                              "newton-cg and gd against scikit-learn's lbfgs, newton-cholesky, "
                              "newton-cg and liblinear); --sizes are N_FEATURESxN_SAMPLES or the "
                              "datasets breast-cancer, digits, tfidf (50,000 x 100,000 sparse)")
    compare.add_argument("--cv", action="store_true",
                         help="time a cross-validated search over C instead: scikit-learn's "
                              "LogisticRegressionCV against fastlr's and GridSearchCV over fastlr's "
                              "estimator; --sizes as with --fit, plus digits-10 (ten classes)")
    compare.add_argument("--solver", metavar="NAMES",
                         help="with --fit: fit only these scikit-learn solver names (comma-separated: "
                              "lbfgs, liblinear, newton-cg, newton-cholesky, sag, saga), fastlr's "
                              "against scikit-learn's of the same name; with --cv: the searches' "
                              "solvers (default lbfgs)")
    compare.add_argument("--C", type=_positive_finite, default=1.0,
                         help="with --fit: scikit-learn's C of every fit (default 1)")
    compare.add_argument("--tol", type=_non_negative, default=None,
                         help="with --fit: the tolerance every method stops at (default 1e-6; with "
                              "--cv, scikit-learn's default 1e-4)")
    compare.add_argument("--l1-ratio", type=_ratio, default=0.0,
                         help="with --fit: fit scikit-learn's elastic net with this l1_ratio, its L1 "
                              "strength a tenth of the smallest that zeroes every coefficient: "
                              "fastlr prox-newton against saga, liblinear and, where installed, "
                              "skglm and celer")
    compare.add_argument("--blas-threads", type=_positive_int, metavar="N",
                         help="limit BLAS (NumPy's, scipy's and so scikit-learn's) to N threads for "
                              "the whole comparison (default: the libraries' own, usually every "
                              "core); fastlr's L-BFGS and Newton fits run BLAS on one thread whatever "
                              "this says")
    compare.add_argument("--json", metavar="FILE", help="also write the measurements to FILE as JSON")
    compare.set_defaults(run=_compare)

    precompile = commands.add_parser(
        "precompile", help="compile every variant of the compiled kernels into numba's cache now",
        description="Compile every op, dtype and layout of the numba kernels into numba's on-disk "
                    "cache (NUMBA_CACHE_DIR when set), so that no later process waits for the "
                    "compiler: for Docker images, CI caches and cluster nodes.")
    precompile.add_argument("--kernels", help="comma-separated compiled kernels (default: numba, "
                                              "numba-parallel)")
    precompile.set_defaults(run=_precompile)

    fit = commands.add_parser("train", help="train on a CSV file")
    fit.add_argument("file", help="CSV file with a header row")
    fit.add_argument("--target", required=True,
                     help="the label column: two classes (the binary problem) or more (multinomial)")
    fit.add_argument("--drop", metavar="COLUMNS",
                     help="comma-separated columns that are not features (an ID, a date, ...)")
    fit.add_argument("--kernel", help="kernel name (default: auto)")
    fit.add_argument("--sep", type=_separator, default=",",
                     help="field separator, one character or 'tab' (default ',')")
    fit.add_argument("--C", type=_positive_C, default=1.0,
                     help="inverse penalty strength, as scikit-learn's C; 'inf' for none (default 1)")
    fit.add_argument("--l1-ratio", type=_ratio, default=0.0,
                     help="the L1 share of the penalty, as scikit-learn's l1_ratio: 0 is L2, 1 is L1, "
                          "between them elastic net (default 0)")
    fit.add_argument("--solver", choices=solver_names(), default=None,
                     help="; ".join(f"{s.name}: {s.description}" for s in SOLVERS)
                          + f" (default {solver_names()[0]}, or {_L1_DEFAULT} with --l1-ratio above 0)")
    fit.add_argument("--standardize", action="store_true",
                     help="train on features scaled to mean 0, standard deviation 1 (the saved model "
                          "takes the raw features)")
    fit.add_argument("--learning-rate", type=_learning_rate, default="auto",
                     help="gd step size or 'auto' (default)")
    fit.add_argument("--max-iter", type=_positive_int, default=1000, help="most iterations (default 1000)")
    fit.add_argument("--tol", type=_non_negative, default=1e-6, help="stop when max|gradient| <= tol (default 1e-6)")
    fit.add_argument("--output", metavar="MODEL.json", help="save the trained model as JSON")
    fit.set_defaults(run=_train)

    predict = commands.add_parser("predict", help="predict the rows of a CSV file with a saved model")
    predict.add_argument("model", help="a model file (fastlr train --output, or LogisticRegression.save)")
    predict.add_argument("file", help="CSV file with a header row naming the model's features "
                                      "(other columns, such as an ID or the target, are ignored)")
    predict.add_argument("--sep", type=_separator, default=",",
                         help="field separator, one character or 'tab' (default ',')")
    predict.add_argument("--proba", action="store_true",
                         help="print each class's probability instead of the predicted class")
    predict.add_argument("--output", metavar="FILE.csv",
                         help="write the predictions as CSV to FILE instead of standard output")
    predict.set_defaults(run=_predict)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    # ValueError and FloatingPointError: from validation, or a fit that diverged.
    except (UsageError, UnknownKernelError, KernelUnavailableError, ValueError, FloatingPointError) as exc:
        print(f"fastlr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"fastlr {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
