"""What a user waits for once: numba compiling the kernels on their first call.

Each benchmark runs in a fresh interpreter (asv's ``timeraw_``) with an
empty numba cache, so it times the whole cold start: importing fastlr and
numba, compiling every function the first call needs, and that call (a
small one, so compiling is all that counts). Once per install and per
variant (dtype/layout of X, op, weights); numba's on-disk cache makes later
processes load the code in a fraction of this, and ``fastlr precompile``
pays it ahead of time.

- ``TimeColdStart``: the first gradient of each compiled kernel, C and F order.
- ``TimeColdFit``: what a scikit-learn user meets first, the first
  ``fastlr.LogisticRegression().fit`` of 5,000 x 50 in a new process,
  import included: the default fit (dense float64, binary, lbfgs), and
  the slowest variant to compile (newton-cholesky, whose Hessian pass and
  gradient both compile).
"""

from __future__ import annotations

from .common import COMPILED, available

_SETUP = """
import os, tempfile
os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="fastlr-cold-")
"""

_FIRST_CALL = """
import numpy as np
import fastlr
X = np.asarray(np.linspace(-1.0, 1.0, 10 * 200).reshape(10, 200), order={order!r})
y = (X[0] > 0).astype(float)
fastlr.gradient(np.zeros(10), 0.0, X, y, kernel={kernel!r})
"""


class TimeColdStart:
    params = (tuple(k for k in COMPILED if k != "auto"), ("C", "F"))
    param_names = ("kernel", "order")
    number = 1
    repeat = 1
    timeout = 300

    def setup(self, kernel, order):
        if not available(kernel):
            raise NotImplementedError(f"kernel {kernel!r} is unavailable here")

    def timeraw_first_call(self, kernel, order):
        return _FIRST_CALL.format(kernel=kernel, order=order), _SETUP


_FIRST_FIT = """
import numpy as np
import fastlr
rng = np.random.default_rng(0)
X = rng.standard_normal((5000, 50))
y = (X[:, 0] + 0.5 * rng.standard_normal(5000) > 0).astype(int)
fastlr.LogisticRegression(solver={solver!r}).fit(X, y)
"""


class TimeColdFit:
    params = (("default", "newton-cholesky"),)
    param_names = ("variant",)
    number = 1
    repeat = 1
    timeout = 300

    def setup(self, variant):
        for needed in ("sklearn", "scipy"):
            try:
                __import__(needed)
            except ImportError:
                raise NotImplementedError(f"the estimator's fit needs {needed}") from None
        if not available("numba"):
            raise NotImplementedError("numba is unavailable here")

    def timeraw_first_fit(self, variant):
        solver = "lbfgs" if variant == "default" else variant
        return _FIRST_FIT.format(solver=solver), _SETUP
