"""scikit-learn's callbacks (``est.set_callbacks(...)``, scikit-learn >= 1.9) for the estimator's fit.

scikit-learn 1.9 added an experimental callback protocol (``sklearn.callback``)
and supports it in ``LogisticRegression`` for ``solver="lbfgs"``. fastlr's
estimator does the same, with the same tasks: a root task for the fit, then
one subtask per L-BFGS iteration named ``"lbfgs-iter"`` (the first begins at
the starting point; each ends at the iterate the iteration reached, with
``coef_`` and ``intercept_`` for the hooks' ``fitted_estimator``), and one
empty subtask after the last, as scikit-learn's bridge to scipy's L-BFGS-B
leaves. There is always at least one iteration task, also for ``max_iter=0``.

Other solver names warn at ``set_callbacks`` and ignore the callbacks, in
scikit-learn's words. With a scikit-learn that has no ``sklearn.callback``
the mixin is an empty class and nothing here runs. Without callbacks set,
:class:`FitTasks` does nothing at all (no context is made), so a plain fit
pays nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["CallbackSupportMixin", "FitTasks", "CALLBACK_SOLVER"]

#: The solver name callbacks are supported for (scikit-learn 1.9's choice).
CALLBACK_SOLVER = "lbfgs"

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9: no callbacks

    class CallbackSupportMixin:  # type: ignore[no-redef]
        """scikit-learn < 1.9 has no callback protocol: nothing to add."""


class FitTasks:
    """The callback tasks of one ``fit``: begun by :meth:`begin`, one per iteration, ended by :meth:`end`.

    Parameters
    ----------
    estimator : LogisticRegression
        The estimator being fitted (``classes_`` already set, so a
        ``fitted_estimator`` can predict).
    X, y, sample_weight
        What the hooks receive (scikit-learn passes the validated X and y, and
        the sample weights as ``metadata``).
    max_iter : int
        The most iterations the fit may run.
    """

    def __init__(self, estimator: Any, X: Any, y: Any, sample_weight: Any, max_iter: int):
        self.active = (getattr(estimator, "_skl_callbacks", None) is not None
                       and estimator.solver == CALLBACK_SOLVER
                       and hasattr(estimator, "_init_callback_context"))
        self._estimator, self._X, self._y = estimator, X, y
        self._metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._max_iter = max_iter
        self._root: Any = None
        self._task: Any = None

    def _hook_args(self) -> dict[str, Any]:
        return {"estimator": self._estimator, "X": self._X, "y": self._y, "metadata": self._metadata}

    def _attributes(self, w: Any, b: Any) -> dict[str, np.ndarray]:
        """``coef_`` and ``intercept_`` of a point: ``(1, n)`` and ``(1,)`` or ``(K, n)`` and ``(K,)``."""
        intercept = np.array(b, dtype=np.asarray(w).dtype).reshape(-1)  # (K,) or (1,)
        coef = np.array(w).reshape(intercept.size, -1)  # training's callback gives W flat
        if not self._estimator.fit_intercept:
            intercept = np.zeros_like(intercept)
        return {"coef_": coef, "intercept_": intercept}

    def begin(self, w0: Any, b0: Any) -> None:
        """The fit's root task and the first iteration's, at the starting point."""
        if not self.active:
            return
        # scikit-learn's count: every iteration, at least one, and the empty task after the last
        self._root = self._estimator._init_callback_context(max_subtasks=max(self._max_iter, 1) + 1)
        self._root.call_on_fit_task_begin(**self._hook_args())
        self._begin_iteration(w0, b0)

    def _begin_iteration(self, w: Any, b: Any) -> None:
        self._task = self._root.subcontext(task_name=f"{CALLBACK_SOLVER}-iter")
        self._task.call_on_fit_task_begin(**self._hook_args(),
                                          reconstruction_attributes=self._attributes(w, b))

    def iteration(self, w: Any, b: Any) -> None:
        """An iteration reached ``(w, b)``: its task ends there, and the next one begins."""
        if not self.active:
            return
        self._task.call_on_fit_task_end(**self._hook_args(),
                                        reconstruction_attributes=self._attributes(w, b))
        self._begin_iteration(w, b)

    def end(self, n_iter: int, w: Any, b: Any) -> None:
        """The fit ended after ``n_iter`` iterations at ``(w, b)``: the last (empty) task and the root end."""
        if not self.active:
            return
        if n_iter == 0:  # at least one iteration task, ending where it began
            self.iteration(w, b)
        self._task.call_on_fit_task_end(estimator=self._estimator)
        self._root.call_on_fit_task_end(**self._hook_args(), reconstruction_attributes={})
