"""Model files: a save never costs the user the file it replaces, and what is saved comes back as it was.

``LogisticRegression.save`` (and ``fastlr train --output``) write to a
temporary file beside the target, sync it and rename it over the target
(``fastlr._model_file.write_model``). These tests break the save at each
step and check that the old file is byte for byte what it was, with no
temporary file left behind; and that parameters a grid search hands out
(NumPy scalars, ``class_weight`` dicts keyed by class) come back with their
values and types.
"""

from __future__ import annotations

import errno
import json
import os
import stat

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402

import fastlr  # noqa: E402
from fastlr import LogisticRegression  # noqa: E402
from fastlr import _model_file  # noqa: E402


@pytest.fixture
def data(rng):
    X = rng.standard_normal((60, 3))
    y = (X[:, 0] + 0.3 * rng.standard_normal(60) > 0).astype(int)
    return X, y


@pytest.fixture
def saved(tmp_path, data):
    """A good model file, and its bytes."""
    path = tmp_path / "model.json"
    LogisticRegression(kernel="numpy").fit(*data).save(path)
    return path, path.read_bytes()


def _only_the_model(path):
    assert sorted(os.listdir(path.parent)) == [path.name], "a temporary file was left behind"


@pytest.mark.parametrize(("params", "named"), [
    ({"random_state": np.random.RandomState(0)}, "parameter random_state=RandomState"),
    ({"kernel": fastlr.Kernel("mine", fastlr.get_kernel("numpy").gradient)}, "parameter kernel="),
])
def test_a_parameter_a_file_cannot_hold_is_refused_before_anything_is_written(saved, data, params, named):
    path, before = saved
    model = LogisticRegression(kernel="numpy").fit(*data).set_params(**params)
    with pytest.raises(TypeError, match=f"cannot save the model: {named}"):
        model.save(path)
    assert path.read_bytes() == before
    _only_the_model(path)


def test_datetime_labels_are_refused_before_anything_is_written(saved, data):
    path, before = saved
    X, y = data
    labels = np.where(y == 1, np.datetime64("2026-01-02"), np.datetime64("2026-01-01"))
    model = LogisticRegression(kernel="numpy").fit(X, labels)
    with pytest.raises(TypeError, match=r"its classes have dtype datetime64\[D\]"):
        model.save(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("fails_in", ["write", "fsync", "replace"])
@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()])
def test_a_save_that_fails_midway_leaves_the_old_file(saved, data, monkeypatch, fails_in, error):
    path, before = saved
    model = LogisticRegression(C=0.5, kernel="numpy").fit(*data)

    def fail(*args, **kwargs):
        raise error

    if fails_in == "write":  # the disk fills after part of the text
        real_fdopen = os.fdopen

        class Filling:
            def __init__(self, file):
                self.file = file

            def __getattr__(self, name):
                return getattr(self.file, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.file.close()

            def write(self, text):
                self.file.write(text[:10])
                self.file.flush()
                raise error

        monkeypatch.setattr(os, "fdopen", lambda *a, **k: Filling(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(os, fails_in, fail)
    with pytest.raises(type(error)):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    _only_the_model(path)
    assert LogisticRegression.load(path).C == 1.0  # the first model, intact


def test_a_save_replaces_the_file_whole_and_keeps_its_permissions(saved, data):
    path, before = saved
    os.chmod(path, 0o640)
    LogisticRegression(C=0.5, kernel="numpy").fit(*data).save(path)
    assert path.read_bytes() != before and LogisticRegression.load(path).C == 0.5
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    _only_the_model(path)


def test_a_new_file_gets_the_permissions_open_would_give(tmp_path, data):
    umask = os.umask(0o027)
    try:
        LogisticRegression(kernel="numpy").fit(*data).save(tmp_path / "new.json")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.json").st_mode) == 0o640


def test_a_save_through_a_symbolic_link_replaces_the_file_it_names(tmp_path, data):
    real = tmp_path / "models" / "real.json"
    real.parent.mkdir()
    LogisticRegression(kernel="numpy").fit(*data).save(real)
    link = tmp_path / "current.json"
    link.symlink_to(real)
    LogisticRegression(C=0.25, kernel="numpy").fit(*data).save(link)
    assert link.is_symlink() and LogisticRegression.load(real).C == 0.25


def test_numpy_scalars_are_saved_as_the_numbers_they_hold(tmp_path, data):
    model = LogisticRegression(C=np.float32(0.5), max_iter=np.int64(200), tol=np.float64(1e-5),
                               fit_intercept=np.bool_(True), kernel="numpy").fit(*data)
    path = tmp_path / "model.json"
    model.save(path)
    params = json.loads(path.read_text())["params"]
    assert params["C"] == 0.5 and params["max_iter"] == 200 and params["fit_intercept"] is True
    loaded = LogisticRegression.load(path)
    assert type(loaded.max_iter) is int and type(loaded.C) is float and loaded.tol == 1e-5
    np.testing.assert_array_equal(loaded.predict_proba(data[0]), model.predict_proba(data[0]))


@pytest.mark.parametrize("keys", [(0, 1), (np.int64(0), np.int64(1))])
def test_class_weight_keeps_its_keys_so_a_loaded_model_refits_and_clones(tmp_path, data, keys):
    model = LogisticRegression(class_weight={keys[0]: 2.0, keys[1]: 1.0}, kernel="numpy").fit(*data)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = LogisticRegression.load(path)
    assert loaded.class_weight == {0: 2.0, 1: 1.0}
    assert all(type(key) is int for key in loaded.class_weight)
    refitted = clone(loaded).fit(*data)
    np.testing.assert_array_equal(refitted.coef_, model.coef_)
    string_keys = LogisticRegression(class_weight={"a": 2.0, "b": 1.0})
    assert _model_file.model_params(_model_file.model_dict(
        params=string_keys.get_params(), classes=[0, 1], coef=[0.0], intercept=0.0, dtype="float64",
        n_iter=0, loss_curve=[]))["class_weight"] == {"a": 2.0, "b": 1.0}


def test_one_of_fastlrs_kernels_is_saved_by_name(tmp_path, data):
    model = LogisticRegression(kernel=fastlr.get_kernel("numpy")).fit(*data)
    model.save(tmp_path / "model.json")
    assert LogisticRegression.load(tmp_path / "model.json").kernel == "numpy"


@pytest.mark.parametrize("C", [np.inf, np.float64(np.inf)])
def test_infinite_C_still_round_trips(C):
    model = LogisticRegression(C=C)
    data = _model_file.model_dict(params=model.get_params(), classes=[0, 1], coef=[0.0], intercept=0.0,
                                  dtype="float64", n_iter=0, loss_curve=[])
    assert data["params"]["C"] == "inf"
    assert _model_file.model_params(json.loads(json.dumps(data)))["C"] == np.inf


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe{not utf-8", "is not a fastlr model file: not JSON text"),
    (b"[" * 100_000 + b"]" * 100_000, "is not a fastlr model file: not JSON text"),
    (b'{"format": "fastlr.LogisticRegression", "version": 1', "not JSON text"),
])
def test_unreadable_bytes_are_a_value_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"'{path}' {message}" if "fastlr" in message else message):
        LogisticRegression.load(path)


def test_a_loaded_model_with_infinite_classes_is_refused(tmp_path, saved):
    path, before = saved
    data = json.loads(before)
    data["classes"] = [float("inf"), 1]
    path.write_text(json.dumps(data))  # json writes Infinity, which json reads back
    with pytest.raises(ValueError, match="'classes' must be a list of two or more distinct labels"):
        LogisticRegression.load(path)


@pytest.mark.parametrize("params", [
    {"Cs": np.logspace(-2, 2, 4), "l1_ratios": (0,), "use_legacy_attributes": False},  # numbers
    {"Cs": 3, "l1_ratios": (0,)},  # the legacy layout: arrays
    {"Cs": 3},  # legacy, no l1_ratios: l1_ratio_ holds None
    {"Cs": [0.1, 1.0], "l1_ratios": np.array([0.0, 0.5]), "solver": "saga", "refit": False},
])
def test_a_search_saves_its_chosen_model_and_outcome(tmp_path, data, params):
    import warnings

    from fastlr import LogisticRegressionCV

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy defaults' FutureWarnings
        search = LogisticRegressionCV(cv=3, kernel="numpy", **params).fit(*data)
    path = tmp_path / "search.json"
    search.save(path)
    loaded = LogisticRegressionCV.load(path)
    assert type(loaded) is LogisticRegressionCV
    np.testing.assert_array_equal(loaded.predict_proba(data[0]), search.predict_proba(data[0]))
    for name in ("C_", "l1_ratio_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(search, name))
        assert np.asarray(getattr(loaded, name)).dtype == np.asarray(getattr(search, name)).dtype
    assert np.asarray(loaded.Cs).tolist() == np.asarray(search.Cs).tolist()  # an array comes back a list
    # the chosen model alone, as a plain estimator
    alone = LogisticRegression.load(path)
    np.testing.assert_array_equal(alone.predict_proba(data[0]), search.predict_proba(data[0]))


def test_a_search_with_a_splitter_is_refused_before_anything_is_written(saved, data):
    from sklearn.model_selection import StratifiedKFold

    from fastlr import LogisticRegressionCV

    path, before = saved
    search = LogisticRegressionCV(Cs=2, cv=StratifiedKFold(3), l1_ratios=(0,), use_legacy_attributes=False,
                                  scoring="accuracy", kernel="numpy").fit(*data)
    with pytest.raises(TypeError, match="cannot save the model: parameter cv=StratifiedKFold"):
        search.save(path)
    assert path.read_bytes() == before
    _only_the_model(path)
    search.set_params(cv=3).save(path)  # what the message says to do
    assert LogisticRegression.load(path).coef_.shape == search.coef_.shape


@pytest.mark.parametrize(("search", "message"), [
    ({"C_": 1.0}, "'search' must be an object with the keys 'C_', 'l1_ratio_'"),
    ({"C_": -1.0, "l1_ratio_": 0.0}, "'search' 'C_' must hold finite numbers >= 0; got -1.0"),
    ({"C_": [1.0, None], "l1_ratio_": 0.0}, "'search' 'C_' must hold finite numbers >= 0; got"),
    ({"C_": 1.0, "l1_ratio_": "x"}, "'search' 'l1_ratio_' must hold finite numbers >= 0 or null"),
    ({"C_": [], "l1_ratio_": 0.0}, "'search' 'C_' must hold finite numbers"),
])
def test_a_damaged_search_outcome_is_a_value_error_naming_it(tmp_path, data, search, message):
    from fastlr import LogisticRegressionCV

    model = LogisticRegressionCV(Cs=2, cv=3, l1_ratios=(0,), use_legacy_attributes=False,
                                 scoring="accuracy", kernel="numpy").fit(*data)
    saved = model.to_dict()
    saved["search"] = search
    path = tmp_path / "search.json"
    path.write_text(json.dumps(saved))
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")) as error:
        LogisticRegressionCV.load(path)
    assert f"{str(path)!r} is not a valid fastlr model file" in str(error.value)
