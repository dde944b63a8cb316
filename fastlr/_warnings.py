"""The warning for training that stops before converging: its class and its words.

The class is scikit-learn's ``ConvergenceWarning`` when scikit-learn is
installed (so one filter silences both libraries), else fastlr's own subclass
of ``UserWarning``. scikit-learn is imported only when a warning is due, never
at ``import fastlr``.

The words: :func:`not_converged_text` says what stopped in the words of the
solver name the user chose. The estimator takes scikit-learn's names for a
problem (``newton-cg``, ``sag``, ``liblinear``, ...) and runs a fastlr
solver for it; while it trains, :data:`solver_words` holds the user's name, so
the warning reads as scikit-learn's solver of that name words it (and adds
what fastlr ran).
"""

from __future__ import annotations

import contextvars
import functools

__all__ = ["FastlrConvergenceWarning", "convergence_warning", "not_converged_text", "solver_words"]


class FastlrConvergenceWarning(UserWarning):
    """Training reached ``max_iter`` before ``tol`` (used without scikit-learn)."""


@functools.cache
def convergence_warning() -> type[Warning]:
    """The ``ConvergenceWarning`` class fastlr warns with."""
    try:
        from sklearn.exceptions import ConvergenceWarning
    except ImportError:
        return FastlrConvergenceWarning
    return ConvergenceWarning


#: The solver name the user gave, when it is not the fastlr solver that runs (set by the estimator).
solver_words: contextvars.ContextVar[str | None] = contextvars.ContextVar("solver_words",
                                                                          default=None)

#: The names whose stop at ``max_iter`` is worded as scikit-learn's saga words it (sag, saga,
#: and fastlr's prox-newton, which ``saga`` names).
_SAGA_WORDED = ("sag", "saga", "prox-newton")


def not_converged_text(solver: str, reached_max_iter: bool, n_iter: int, max_iter: int,
                       tol: float, message: str) -> str:
    """The ConvergenceWarning's text when ``solver`` (fastlr's) stopped before ``tol``.

    ``message`` is the solver's own reason (L-BFGS-B's, or Newton's hand-over
    to L-BFGS: then it starts with ``"lbfgs: "``). Worded as the name in
    :data:`solver_words` (else ``solver``) is worded by scikit-learn.
    """
    name = solver_words.get() or solver
    reason = message.removeprefix("lbfgs: ")
    ran = f"{n_iter} iteration(s) (max_iter={max_iter}, tol={tol:g})"
    if name != solver:
        ran = f"{ran} of fastlr's {solver}"
    if name in _SAGA_WORDED:
        if reached_max_iter:
            return (f"The max_iter was reached which means the coef_ did not converge: {name} "
                    f"stopped after {ran}; increase max_iter, or scale the features")
        return f"{name} stopped after {ran} before reaching tol: {message}"
    if name == "newton-cg":
        return (f"newton-cg failed to converge after {ran}: {reason}. "
                "Increase the number of iterations, or scale the features.")
    if name == "liblinear":
        return f"Liblinear failed to converge, increase the number of iterations ({ran}: {reason})."
    if name == "lbfgs" or message.startswith("lbfgs: "):
        return (f"lbfgs failed to converge after {ran}: {reason}; "
                "increase max_iter, or scale the features")
    return (f"Newton solver did not converge after {n_iter} iterations (max_iter={max_iter}, "
            f"tol={tol:g}); increase max_iter, or scale the features")
