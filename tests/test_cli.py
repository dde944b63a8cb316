"""The fastlr command, as a user runs it."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import warnings

import numpy as np
import pytest

import fastlr
from fastlr.cli import main


def test_compare_table_and_json(tmp_path, capsys):
    out = tmp_path / "compare.json"
    assert main(["compare", "--sizes", "3x40,5x60", "--kernels", "numpy,python", "--repeat", "1",
                 "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "vs python" in table and "vs numpy" in table
    assert table.index(" python ") < table.index(" numpy ")  # the notes' order, whatever was asked
    assert "GB/s" in table and "of read" in table and "read X once" in table
    data = json.loads(out.read_text())
    assert data["dtype"] == "float64" and data["order"] == "C"
    assert {(r["n_x"], r["m"], r["kernel"]) for r in data["results"]} == {
        (3, 40, "read X once"), (3, 40, "python"), (3, 40, "numpy"),
        (5, 60, "read X once"), (5, 60, "python"), (5, 60, "numpy")}
    kernels = [r for r in data["results"] if r["kernel"] != "read X once"]
    assert all(r["seconds"] > 0 and r["first_call"] > 0 for r in kernels)
    assert all(r["bytes_read"] == r["n_x"] * r["m"] * 8 for r in data["results"])


def test_compare_auto_float32_fortran(tmp_path, capsys):
    out = tmp_path / "compare.json"
    assert main(["compare", "--sizes", "4x50", "--kernels", "auto,numpy", "--repeat", "1",
                 "--dtype", "float32", "--order", "F", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "float32, X F-ordered" in table
    auto = [r for r in json.loads(out.read_text())["results"] if r["kernel"] == "auto"]
    assert len(auto) == 1 and auto[0]["ran"] in fastlr.available_kernels()
    assert f"auto ({auto[0]['ran']})" in table
    assert auto[0]["bytes_read"] == 4 * 50 * 4


def test_compare_multinomial(tmp_path, capsys):
    out = tmp_path / "compare.json"
    assert main(["compare", "--sizes", "4x50", "--kernels", "numpy,auto,python", "--repeat", "1",
                 "--classes", "3", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "time per multinomial gradient of 3 classes" in table
    data = json.loads(out.read_text())
    assert data["classes"] == 3
    kernels = {r["kernel"]: r for r in data["results"]}
    assert kernels["numpy"]["seconds"] > 0 and kernels["python"]["seconds"] > 0
    assert kernels["auto"]["ran"] in fastlr.available_kernels()


def test_compare_fit_multinomial(capsys):
    pytest.importorskip("sklearn")
    assert main(["compare", "--fit", "--classes", "3", "--sizes", "3x300", "--repeat", "1"]) == 0
    table = capsys.readouterr().out
    assert "3 classes (multinomial)" in table
    rows = [line for line in table.splitlines() if line.strip().startswith("synthetic")]
    assert len(rows) == 6  # every multinomial method fitted (fastlr newton-cholesky, liblinear: binary)
    lbfgs = next(line for line in rows if "fastlr lbfgs" in line)
    assert float(lbfgs.split()[-2]) < 1e-5  # the same coefficients as scikit-learn's lbfgs


def test_compare_too_few_classes(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--classes", "1"])
    assert exit_.value.code == 2
    assert "argument --classes: must be >= 2 classes, not 1" in capsys.readouterr().err


def test_compare_skips_over_budget(capsys):
    assert main(["compare", "--sizes", "50x2000", "--kernels", "python", "--repeat", "1", "--budget", "0"]) == 0
    assert "skipped" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "--kernels", "nmupy"], "unknown kernel 'nmupy'"),
        (["compare", "--sizes", "100by10"], "size '100by10' is not N_XxM"),
    ],
)
def test_compare_bad_options(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.fixture
def csv_file(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 3))
    labels = np.where(X[:, 0] - X[:, 2] > 0, "yes", "no")
    lines = ["f1,label,f2,f3"] + [f"{a:.17g},{c},{b:.17g},{d:.17g}" for (a, b, d), c in zip(X, labels)]
    path = tmp_path / "data.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, X, labels


def test_train_saves_a_loadable_model(tmp_path, csv_file, capsys):
    pytest.importorskip("sklearn")
    path, X, labels = csv_file
    model_path = tmp_path / "model.json"
    assert main(["train", str(path), "--target", "label", "--C", "10", "--output", str(model_path)]) == 0
    out = capsys.readouterr().out
    for line in ("iterations:", "final cost:", "training accuracy:", "time:"):
        assert line in out
    pandas = pytest.importorskip("pandas")
    model = fastlr.LogisticRegression.load(model_path)
    assert model.classes_.tolist() == ["no", "yes"]
    assert model.feature_names_in_.tolist() == ["f1", "f2", "f3"]
    assert model.score(pandas.DataFrame(X, columns=["f1", "f2", "f3"]), labels) > 0.95


def test_train_matches_the_estimator(tmp_path, csv_file):
    """Gradient descent in chunks for the progress bar gives what one fit gives."""
    pytest.importorskip("sklearn")
    path, X, labels = csv_file
    model_path = tmp_path / "model.json"
    assert main(["train", str(path), "--target", "label", "--kernel", "numpy", "--max-iter", "130",
                 "--tol", "0", "--solver", "gd", "--output", str(model_path)]) == 0
    saved = fastlr.LogisticRegression.load(model_path)
    with pytest.warns(fastlr.ConvergenceWarning):
        fitted = fastlr.LogisticRegression(kernel="numpy", solver="gd", max_iter=130, tol=0.0).fit(X, labels)
    np.testing.assert_allclose(saved.coef_, fitted.coef_, rtol=1e-12)
    np.testing.assert_allclose(saved.loss_curve_, fitted.loss_curve_, rtol=1e-12)


@pytest.mark.parametrize("C", ["0.5", "inf"])
def test_train_lbfgs_is_the_estimators_fit(tmp_path, csv_file, C):
    """The default solver: the same L-BFGS run as LogisticRegression(C=C), iteration for iteration."""
    pytest.importorskip("sklearn")
    path, X, labels = csv_file
    model_path = tmp_path / "model.json"
    assert main(["train", str(path), "--target", "label", "--kernel", "numpy", "--C", C,
                 "--tol", "1e-8", "--output", str(model_path)]) == 0
    saved = fastlr.LogisticRegression.load(model_path)
    fitted = fastlr.LogisticRegression(kernel="numpy", C=float(C), tol=1e-8, max_iter=1000).fit(X, labels)
    assert saved.get_params()["C"] == float(C) and saved.get_params()["solver"] == "lbfgs"
    assert saved.n_iter_ == fitted.n_iter_
    np.testing.assert_allclose(saved.coef_, fitted.coef_, rtol=1e-12)
    np.testing.assert_allclose(saved.loss_curve_, fitted.loss_curve_, rtol=1e-12)


def test_train_newton_cholesky_is_the_estimators_fit(tmp_path, csv_file):
    pytest.importorskip("sklearn")
    path, X, labels = csv_file
    model_path = tmp_path / "model.json"
    assert main(["train", str(path), "--target", "label", "--solver", "newton-cholesky",
                 "--tol", "1e-8", "--output", str(model_path)]) == 0
    saved = fastlr.LogisticRegression.load(model_path)
    fitted = fastlr.LogisticRegression(solver="newton-cholesky", tol=1e-8, max_iter=1000).fit(X, labels)
    assert saved.get_params()["solver"] == "newton-cholesky"
    assert saved.n_iter_ == fitted.n_iter_
    np.testing.assert_allclose(saved.coef_, fitted.coef_, rtol=1e-12)


def test_train_standardize_saves_a_model_for_the_raw_features(tmp_path, capsys):
    """--standardize fits on scaled features; the saved model predicts on the file's columns."""
    pytest.importorskip("sklearn")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 3)) * [1.0, 1000.0, 0.001] + [5.0, -300.0, 0.0]
    labels = (X[:, 0] - 5.0 + X[:, 1] / 1000.0 + rng.standard_normal(200) > 0).astype(int)
    path = tmp_path / "wide.csv"
    path.write_text("a;b;c;y\n" + "".join(f"{a:.17g};{b:.17g};{c:.17g};{y}\n" for (a, b, c), y in zip(X, labels)))
    model_path = tmp_path / "model.json"
    assert main(["train", str(path), "--target", "y", "--sep", ";", "--standardize",
                 "--tol", "1e-10", "--output", str(model_path)]) == 0
    assert "(standardized)" in capsys.readouterr().out
    saved = fastlr.LogisticRegression.load(model_path)
    pipeline = make_pipeline(StandardScaler(), fastlr.LogisticRegression(tol=1e-10)).fit(X, labels)
    pandas = pytest.importorskip("pandas")
    raw = pandas.DataFrame(X, columns=["a", "b", "c"])  # the saved model knows the column names
    np.testing.assert_allclose(saved.decision_function(raw), pipeline.decision_function(X),
                               rtol=1e-7, atol=1e-7)


def test_train_says_what_to_try_at_max_iter(csv_file, capsys):
    path, _, _ = csv_file
    assert main(["train", str(path), "--target", "label", "--solver", "gd", "--max-iter", "3"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("iterations:"))
    assert "max_iter reached before tol; try --standardize" in line
    assert "a larger --max-iter (now 3)" in line and "--solver lbfgs" in line


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--C", "0", "argument --C: must be a number > 0 or 'inf', not '0'"),
    ("--C", "nan", "argument --C: must be a number > 0 or 'inf', not 'nan'"),
    ("--sep", ";;", "argument --sep: must be one character (or 'tab'), not ';;'"),
    ("--solver", "saga", "argument --solver: invalid choice: 'saga'"),
])
def test_train_bad_options(csv_file, capsys, option, value, message):
    path, _, _ = csv_file
    with pytest.raises(SystemExit) as exited:
        main(["train", str(path), "--target", "label", option, value])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "target", "message"),
    [
        (None, "label", "cannot read"),
        ("f1,label\n1,0\n2,1\n", "nope", "has no column 'nope'; its columns are: f1, label"),
        ("f1,label\n1,0\nabc,1\n", "label", "line 3, column 'f1': 'abc' is not a finite number"),
        ("f1,label\n1,0\n2,0\n", "label",
         "target column 'label' has 1 distinct values ('0'); fastlr train needs two or more classes"),
        ("f1;f2;label\n1;2;0\n2;1;1\n", "label", "(one column: are the fields separated by ';'? pass --sep ';')"),
        ("id,f1,label\nP01,1,0\nP02,2,1\n", "label",
         "'P01' is not a finite number; feature columns must be numeric (leave a column such as an ID "
         "out with --drop NAME)"),
        ("", "label", "is empty"),
        ("f1,label\n1,0\n2\n", "label", "line 3: 1 fields, but the header has 2"),
        ("f1,label\n1,0\n2,0.0\n3,0\n", "label",
         "target column 'label' has 1 distinct numeric value (written '0', '0.0')"),
        ("a,y,b,y\n1,0,2,0\n2,1,1,1\n", "y", "names more than one column 'y'; column names must be distinct"),
        ("a,b,a,y\n1,0,2,0\n2,1,1,1\n", "y", "names more than one column 'a'"),
    ],
)
def test_train_bad_files(tmp_path, content, target, message):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content)
    done = subprocess.run([sys.executable, "-m", "fastlr", "train", str(path), "--target", target],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in done.stderr, done.stderr


def test_train_numeric_labels_spelled_two_ways_are_one_class(tmp_path, capsys):
    pytest.importorskip("sklearn")
    path = tmp_path / "data.csv"
    path.write_text("f1,label\n-2,0\n-1,0.0\n1,1\n2,1.0\n")
    model_path = tmp_path / "model.json"
    assert main(["train", str(path), "--target", "label", "--output", str(model_path)]) == 0
    model = fastlr.LogisticRegression.load(model_path)
    assert model.classes_.tolist() == [0, 1]
    assert model.coef_[0, 0] > 0  # class 1 (written 1 and 1.0) on the side of large f1


def test_train_reads_a_csv_with_a_byte_order_mark(tmp_path, csv_file, capsys):
    pytest.importorskip("sklearn")
    path, _, _ = csv_file
    marked = tmp_path / "marked.csv"
    marked.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as spreadsheet programs save "CSV UTF-8"
    model_path = tmp_path / "model.json"
    assert main(["train", str(marked), "--target", "label", "--output", str(model_path)]) == 0
    assert fastlr.LogisticRegression.load(model_path).feature_names_in_.tolist() == ["f1", "f2", "f3"]


@pytest.fixture
def three_class_csv(tmp_path):
    """A ';'-separated file with an ID column, three features and three named classes."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((150, 3)) * [1.0, 10.0, 0.1]
    scores = X / [1.0, 10.0, 0.1] @ rng.standard_normal((3, 3)) + rng.gumbel(size=(150, 3))
    names = np.array(["setosa", "versicolor", "virginica"])
    labels = names[np.argmax(scores, axis=1)]
    path = tmp_path / "three.csv"
    path.write_text("id;a;b;c;species\n" + "".join(
        f"P{i:04d};{a:.17g};{b:.17g};{c:.17g};{label}\n" for i, ((a, b, c), label) in enumerate(zip(X, labels))))
    return path, X, labels


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_train_three_classes_is_the_estimators_fit(tmp_path, three_class_csv, capsys, solver):
    """More than two classes: the multinomial fit LogisticRegression makes, saved and loadable."""
    path, X, labels = three_class_csv
    model_path = tmp_path / "model.json"
    assert main(["train", str(path), "--target", "species", "--sep", ";", "--drop", "id",
                 "--solver", solver, "--kernel", "numpy", "--max-iter", "60", "--tol", "1e-8",
                 "--output", str(model_path)]) == 0
    assert "3 classes (multinomial)" in capsys.readouterr().out
    saved = fastlr.LogisticRegression.load(model_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastlr.ConvergenceWarning)  # gd stops at max_iter, as the CLI's
        fitted = fastlr.LogisticRegression(solver=solver, kernel="numpy", max_iter=60, tol=1e-8).fit(X, labels)
    assert saved.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert saved.feature_names_in_.tolist() == ["a", "b", "c"]
    assert saved.coef_.shape == (3, 3) and saved.intercept_.shape == (3,)
    np.testing.assert_allclose(saved.coef_, fitted.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(saved.intercept_, fitted.intercept_, rtol=1e-10, atol=1e-12)


def test_train_standardize_three_classes_keeps_the_decisions(tmp_path, three_class_csv):
    """--standardize with K classes: the saved model gives the scaled fit's decisions on raw columns."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    path, X, labels = three_class_csv
    model_path = tmp_path / "model.json"
    assert main(["train", str(path), "--target", "species", "--sep", ";", "--drop", "id", "--standardize",
                 "--tol", "1e-10", "--output", str(model_path)]) == 0
    saved = fastlr.LogisticRegression.load(model_path)
    pipeline = make_pipeline(StandardScaler(), fastlr.LogisticRegression(tol=1e-10)).fit(X, labels)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        np.testing.assert_allclose(saved.decision_function(X), pipeline.decision_function(X),
                                   rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize(("drop", "message"), [
    ("species", "--drop names the target column 'species'"),
    ("id,nope", "has no column 'nope'; its columns are: id, a, b, c, species"),
    ("id,a,b,c", "has no feature columns besides the target 'species' and the dropped ones"),
])
def test_train_bad_drop(three_class_csv, capsys, drop, message):
    path, _, _ = three_class_csv
    assert main(["train", str(path), "--target", "species", "--sep", ";", "--drop", drop]) == 2
    assert message in capsys.readouterr().err


def test_predict_a_csv_with_a_saved_model(tmp_path, three_class_csv, capsys):
    """fastlr predict finds the model's features by name (ID and target columns ignored), warns nothing."""
    path, X, labels = three_class_csv
    model_path = tmp_path / "model.json"
    assert main(["train", str(path), "--target", "species", "--sep", ";", "--drop", "id",
                 "--output", str(model_path)]) == 0
    capsys.readouterr()
    model = fastlr.LogisticRegression.load(model_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["predict", str(model_path), str(path), "--sep", ";"]) == 0
    lines = capsys.readouterr().out.splitlines()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        expected = model.predict(X).tolist()
        proba = model.predict_proba(X)
    assert lines == ["prediction", *expected]
    out = tmp_path / "proba.csv"
    assert main(["predict", str(model_path), str(path), "--sep", ";", "--proba", "--output", str(out)]) == 0
    rows = out.read_text().splitlines()
    assert rows[0] == "proba_setosa,proba_versicolor,proba_virginica"
    np.testing.assert_array_equal(np.array([[float(v) for v in row.split(",")] for row in rows[1:]]), proba)


def test_predict_errors(tmp_path, three_class_csv, capsys):
    path, X, labels = three_class_csv
    unnamed = tmp_path / "unnamed.json"
    fastlr.LogisticRegression().fit(X, labels).save(unnamed)
    assert main(["predict", str(unnamed), str(path), "--sep", ";"]) == 2
    assert "does not name its features" in capsys.readouterr().err
    named = tmp_path / "named.json"
    assert main(["train", str(path), "--target", "species", "--sep", ";", "--drop", "id",
                 "--output", str(named)]) == 0
    capsys.readouterr()
    other = tmp_path / "other.csv"
    other.write_text("a;b;species\n1;2;x\n")
    assert main(["predict", str(named), str(other), "--sep", ";"]) == 2
    assert "has no column 'c'; its columns are: a, b, species" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "missing.json"), str(path)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_train_output_into_a_missing_folder_fails_before_training(tmp_path, csv_file):
    path, _, _ = csv_file
    target = tmp_path / "no" / "such" / "model.json"
    done = subprocess.run([sys.executable, "-m", "fastlr", "train", str(path), "--target", "label",
                           "--output", str(target)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 2
    assert done.stdout == ""  # nothing trained
    assert done.stderr.strip().splitlines() == [
        f"fastlr train: error: cannot save the model to {str(target)!r}: folder "
        f"{str(target.parent)!r} does not exist"]


def test_compare_says_why_it_skipped(capsys):
    assert main(["compare", "--sizes", "50x2000", "--kernels", "python", "--repeat", "1", "--budget", "0"]) == 0
    out = capsys.readouterr().out
    assert "python at 50 x 2000 skipped: estimated" in out and "exceed the 0 s budget" in out


def test_compare_never_skips_a_fast_kernel_for_its_fixed_cost(monkeypatch):
    """A kernel whose small calls cost a fixed 5 ms (a pool waking on a busy machine) is timed, not skipped."""
    import time as time_module

    from fastlr import _compare

    real = _compare.gradient

    def slow_start(w, b, X, y, kernel):
        time_module.sleep(0.005)
        return real(w, b, X, y, kernel=kernel)

    monkeypatch.setattr(_compare, "gradient", slow_start)
    results = _compare.measure([(10, 200_000)], ["numpy"], repeat=1, budget=1.0, read_baseline=False)
    assert results[0].skipped is None and results[0].seconds is not None


def test_compare_never_reports_more_than_the_read_limit():
    from fastlr import _compare

    results = _compare.measure([(20, 3000), (5, 50_000)], ["numpy", *_COMPILED, "auto"], repeat=2)
    for size in {(r.n_x, r.m) for r in results}:
        here = [r for r in results if (r.n_x, r.m) == size]
        read = next(r for r in here if r.kernel == _compare.READ).seconds
        assert all(read <= r.seconds for r in here if r.seconds is not None)


_COMPILED = [name for name in ("numba", "numba-parallel") if name in fastlr.available_kernels()]


def test_compare_fit_against_sklearn(tmp_path, capsys):
    pytest.importorskip("sklearn")
    out = tmp_path / "fit.json"
    assert main(["compare", "--fit", "--sizes", "5x400", "--repeat", "1", "--tol", "1e-8",
                 "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "time to fit" in table and "vs sklearn lbfgs" in table
    fits = {r["method"]: r for r in json.loads(out.read_text())["fits"]}
    assert set(fits) == {"fastlr lbfgs", "fastlr newton-cholesky", "fastlr newton-cg", "fastlr gd",
                         "sklearn lbfgs", "sklearn newton-cholesky", "sklearn newton-cg",
                         "sklearn liblinear"}
    assert fits["sklearn lbfgs"]["coef_difference"] == 0.0
    for solver in ("fastlr lbfgs", "fastlr newton-cholesky", "fastlr newton-cg"):
        assert fits[solver]["converged"] and fits[solver]["coef_difference"] < 1e-6
        assert abs(fits[solver]["objective_excess"]) < 1e-9  # the optimum: scikit-learn at tol 1e-10
    assert all(r["seconds"] > 0 and r["n_features"] == 5 and r["n_samples"] == 400 for r in fits.values())


def test_compare_fit_datasets(tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "fit.json"
    assert main(["compare", "--fit", "--sizes", "breast-cancer", "--repeat", "1", "--tol", "1e-8",
                 "--json", str(out)]) == 0
    fits = {r["method"]: r for r in json.loads(out.read_text())["fits"]}
    newton = fits["fastlr newton-cholesky"]
    assert (newton["problem"], newton["n_features"], newton["n_samples"]) == ("breast-cancer", 30, 569)
    assert newton["n_iter"] == fits["sklearn newton-cholesky"]["n_iter"]
    assert abs(newton["objective_excess"]) < 1e-9


def test_compare_fit_at_another_C(tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "fit.json"
    assert main(["compare", "--fit", "--sizes", "5x400", "--repeat", "1", "--tol", "1e-8", "--C",
                 "0.01", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["C"] == 0.01
    fits = {r["method"]: r for r in report["fits"]}
    assert abs(fits["fastlr newton-cg"]["objective_excess"]) < 1e-9  # the optimum at C = 0.01


def test_compare_fit_solver_pairs(tmp_path, capsys):
    pytest.importorskip("sklearn")
    out = tmp_path / "pairs.json"
    assert main(["compare", "--fit", "--solver", "liblinear, sag", "--sizes", "5x400", "--repeat", "1",
                 "--tol", "1e-8", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "vs sklearn, same name" in table and "its own optimum" in table
    report = json.loads(out.read_text())
    assert report["solvers"] == ["liblinear", "sag"]
    fits = {r["method"]: r for r in report["fits"]}
    assert set(fits) == {"fastlr liblinear", "sklearn liblinear", "fastlr sag", "sklearn sag"}
    # each against the optimum of the problem its name solves (liblinear's penalises the intercept)
    assert abs(fits["fastlr liblinear"]["objective_excess"]) < 1e-9
    assert abs(fits["sklearn liblinear"]["objective_excess"]) < 1e-6
    assert abs(fits["fastlr sag"]["objective_excess"]) < 1e-9
    rows = [line.split() for line in table.splitlines() if line.lstrip().startswith("synthetic")]
    assert len(rows) == 4
    for row in rows:
        if row[3] == "sklearn":
            assert row[7] == "1.00x"  # the base of its own name's ratio


def test_compare_fit_solver_pairs_with_l1(tmp_path, capsys):
    pytest.importorskip("sklearn")
    out = tmp_path / "pairs.json"
    assert main(["compare", "--fit", "--solver", "saga,liblinear", "--l1-ratio", "1", "--sizes", "6x500",
                 "--repeat", "1", "--tol", "1e-8", "--json", str(out)]) == 0
    assert "non-zero" in capsys.readouterr().out
    fits = {r["method"]: r for r in json.loads(out.read_text())["fits"]}
    assert set(fits) == {"fastlr saga", "sklearn saga", "fastlr liblinear", "sklearn liblinear"}
    assert abs(fits["fastlr saga"]["objective_excess"]) < 1e-9
    assert abs(fits["fastlr liblinear"]["objective_excess"]) < 1e-9


@pytest.mark.parametrize("arguments, message", [
    (["--fit", "--solver", "adam"], "--solver 'adam' is not one of scikit-learn's solver names (lbfgs, "
                                    "liblinear, newton-cg, newton-cholesky, sag, saga)"),
    (["--fit", "--solver", "lbfgs", "--l1-ratio", "1"], "--solver lbfgs does not fit an L1 term"),
    (["--fit", "--solver", "liblinear", "--l1-ratio", "0.5"], "--solver liblinear does not fit an L1 term"),
    (["--fit", "--solver", "liblinear", "--classes", "3"], "--solver liblinear fits two classes only"),
    (["--solver", "lbfgs"], "--solver applies to fits: add --fit"),
    (["--tol", "1e-3"], "--tol applies to fits: add --fit"),
    (["--l1-ratio", "1"], "--l1-ratio applies to fits: add --fit"),
    (["--fit", "--sizes", "iris"], "'iris' is neither N_FEATURESxN_SAMPLES (for example 20x20000) nor a "
                                   "dataset (breast-cancer, digits, tfidf)"),
    (["--cv", "--C", "2"], "--C does not apply to --cv"),
    (["--cv", "--classes", "3"], "--classes does not apply to --cv"),
    (["--cv", "--solver", "liblinear"], "--solver liblinear fits two classes only: leave digits-10 out"),
    (["--cv", "--sizes", "iris"], "'iris' is neither N_FEATURESxN_SAMPLES (for example 20x20000) nor a "
                                  "dataset (breast-cancer, digits, tfidf, digits-10)"),
])
def test_compare_refusals(arguments, message, capsys):
    assert main(["compare", *arguments]) == 2
    assert message in capsys.readouterr().err


def test_compare_cv_against_sklearn(tmp_path, capsys):
    pytest.importorskip("sklearn")
    out = tmp_path / "cv.json"
    assert main(["compare", "--cv", "--solver", "newton-cholesky", "--sizes", "breast-cancer,6x300",
                 "--repeat", "1", "--tol", "1e-8", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "StratifiedKFold(5)" in table and "vs sklearn" in table
    report = json.loads(out.read_text())
    assert report["tol"] == 1e-8 and report["solvers"] == ["newton-cholesky"]
    searches = report["searches"]
    assert [(r["problem"], r["method"]) for r in searches] == [
        (problem, method) for problem in ("breast-cancer", "synthetic")
        for method in ("sklearn LogisticRegressionCV newton-cholesky",
                       "fastlr LogisticRegressionCV newton-cholesky",
                       "GridSearchCV(fastlr newton-cholesky)")]
    for search in searches:
        assert search["seconds"] > 0 and search["converged"]
        if search["method"].startswith("fastlr LogisticRegressionCV"):
            # both fitted tightly: the same accuracies, so the same C
            assert search["same_C"] and search["score_difference"] == 0.0
            assert search["n_iter"] > 0
        if search["method"].startswith("GridSearchCV"):
            assert search["n_iter"] == -1  # GridSearchCV keeps no iterations


def test_tfidf_problem_is_text_like():
    from fastlr._compare_fit import tfidf_problem

    X, y = tfidf_problem(n_samples=2_000, n_features=5_000, words=40)
    assert X.format == "csr" and X.indices.dtype == np.int32
    np.testing.assert_allclose(np.sqrt((X.multiply(X)).sum(axis=1)), 1.0)  # unit rows
    assert (X.data > 0).all() and 30 <= np.diff(X.indptr).mean() <= 40  # repeated words merge
    assert 0.45 <= y.mean() <= 0.55
    again, _ = tfidf_problem(n_samples=2_000, n_features=5_000, words=40)
    assert (X != again).nnz == 0  # seeded


def test_compare_sparse(tmp_path, capsys):
    pytest.importorskip("scipy.sparse")
    out = tmp_path / "compare.json"
    assert main(["compare", "--sizes", "40x300", "--kernels", "numpy,python,auto", "--repeat", "1",
                 "--density", "0.1", "--format", "csr", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "sparse CSR (n_x, m), density 0.1" in table
    data = json.loads(out.read_text())
    assert data["density"] == 0.1 and data["format"] == "csr"
    kernels = {r["kernel"]: r for r in data["results"]}
    assert kernels["numpy"]["bytes_read"] == 300 * 4 * (8 + 4)  # values and int32 indices
    assert kernels["auto"]["ran"] in fastlr.available_kernels()


def test_compare_fit_sparse(capsys):
    pytest.importorskip("sklearn")
    assert main(["compare", "--fit", "--density", "0.2", "--sizes", "30x400", "--repeat", "1"]) == 0
    table = capsys.readouterr().out
    assert "sparse CSR X of density 0.2" in table
    lbfgs = next(line for line in table.splitlines() if "fastlr lbfgs" in line)
    assert float(lbfgs.split()[-2]) < 1e-4  # the same coefficients as scikit-learn's lbfgs


def test_compare_bad_density(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--density", "0"])
    assert exit_.value.code == 2
    assert "argument --density: must be a number in (0, 1], not '0'" in capsys.readouterr().err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (a device that is always full)")
def test_train_output_to_a_full_device_is_one_line_and_exit_2(csv_file):
    path, _, _ = csv_file
    done = subprocess.run([sys.executable, "-m", "fastlr", "train", str(path), "--target", "label",
                           "--output", "/dev/full"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "fastlr train: error: cannot save the model to '/dev/full': No space left on device")
    assert "Traceback" not in done.stderr
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # still the device, never replaced by a file


def test_fastlr_quick_in_the_environment_is_quick(tmp_path, monkeypatch, capsys):
    """FASTLR_QUICK=1 (what CI sets to run the README's commands) gives --quick's sizes."""
    from fastlr._compare import QUICK_SIZES

    out = tmp_path / "compare.json"
    monkeypatch.setenv("FASTLR_QUICK", "1")
    assert main(["compare", "--kernels", "numpy", "--repeat", "1", "--json", str(out)]) == 0
    measured = {(r["n_x"], r["m"]) for r in json.loads(out.read_text())["results"]}
    assert measured == {tuple(size) for size in QUICK_SIZES}
    monkeypatch.setenv("FASTLR_QUICK", "0")  # anything but 1 leaves the defaults
    from fastlr.cli import _parser, _quick

    assert not _quick(_parser().parse_args(["compare"]))
    assert _quick(_parser().parse_args(["compare", "--quick"]))


def test_compare_fit_l1(tmp_path, capsys):
    """``--l1-ratio``: fastlr's prox-newton against saga and liblinear (and the peers, where installed)."""
    pytest.importorskip("sklearn")
    out = tmp_path / "fit.json"
    assert main(["compare", "--fit", "--l1-ratio", "1", "--sizes", "8x400", "--repeat", "1",
                 "--tol", "1e-8", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "l1_ratio = 1" in table and "vs sklearn saga" in table and "non-zero" in table
    data = json.loads(out.read_text())
    assert data["l1_ratio"] == 1.0
    fits = {r["method"]: r for r in data["fits"]}
    assert {"fastlr prox-newton", "sklearn saga", "sklearn liblinear"} <= set(fits)
    ours = fits["fastlr prox-newton"]
    assert ours["converged"] and abs(ours["objective_excess"]) < 1e-9
    assert 0 < ours["non_zero"] < 8  # lambda_max / 10: a sparse solution
    assert fits["sklearn saga"]["objective_excess"] < 1e-5  # the same objective, to saga's precision


def test_train_l1_is_the_estimators_fit(tmp_path, csv_file, capsys):
    """``--l1-ratio`` picks prox-newton and fits what LogisticRegression(l1_ratio=...) fits."""
    pytest.importorskip("sklearn")
    path, X, labels = csv_file
    model_path = tmp_path / "model.json"
    assert main(["train", str(path), "--target", "label", "--l1-ratio", "0.5", "--C", "0.05",
                 "--tol", "1e-8", "--output", str(model_path)]) == 0
    assert "solver 'prox-newton'" in capsys.readouterr().out
    saved = fastlr.LogisticRegression.load(model_path)
    fitted = fastlr.LogisticRegression(solver="prox-newton", C=0.05, l1_ratio=0.5, tol=1e-8,
                                       max_iter=1000).fit(X, labels)
    assert saved.get_params()["l1_ratio"] == 0.5 and saved.get_params()["solver"] == "prox-newton"
    np.testing.assert_allclose(saved.coef_, fitted.coef_, rtol=1e-12, atol=1e-15)
    assert main(["train", str(path), "--target", "label", "--l1-ratio", "0.5", "--solver", "lbfgs"]) == 2
    assert "--l1-ratio 0.5 (an L1 term) needs --solver prox-newton" in capsys.readouterr().err


def test_compare_says_what_blas_ran_and_limits_it_only_while_it_runs(capsys):
    from threadpoolctl import threadpool_info

    before = [pool["num_threads"] for pool in threadpool_info()]
    assert main(["compare", "--sizes", "3x40", "--kernels", "numpy", "--repeat", "1",
                 "--blas-threads", "1"]) == 0
    heading = capsys.readouterr().out.splitlines()[1]
    assert "cores; BLAS " in heading and ": 1 thread" in heading and ": 2 threads" not in heading
    assert "OpenBLAS settings: " in heading
    assert [pool["num_threads"] for pool in threadpool_info()] == before  # restored


def test_compare_blas_threads_must_be_positive(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--blas-threads", "0"])
    assert exit_.value.code == 2
    assert "argument --blas-threads: must be >= 1, not 0" in capsys.readouterr().err


def test_compare_cv_progress_adds_up_to_what_it_foretold():
    """Every timed search reports its weight once, and the weights add up to cv_steps' work
    (so the estimate of the time left ends at 0, not before or after)."""
    pytest.importorskip("sklearn")
    from fastlr._compare_cv import cv_steps, measure_searches

    problems, solvers = ["breast-cancer", (6, 300, None)], ("newton-cholesky",)
    reported = []
    measure_searches(problems, solvers, repeat=1, on_step=lambda note, work: reported.append(work))
    steps, work = cv_steps(problems, solvers, repeat=1)
    assert len(reported) == steps and sum(reported) == pytest.approx(work)
    assert min(reported) > 0


def test_compare_fit_progress_adds_up_to_what_it_foretold():
    pytest.importorskip("sklearn")
    from fastlr._compare_fit import fit_steps, measure_fits

    sizes, reported = [(4, 300)], []
    measure_fits(sizes, repeat=1, classes=3, solvers=("lbfgs",),
                 on_step=lambda note, work: reported.append(work))
    steps, work = fit_steps(sizes, repeat=1, classes=3, solvers=("lbfgs",))
    assert len(reported) == steps and sum(reported) == pytest.approx(work)
