"""What a user waits for once: numba compiling the kernels on their first call.

Each benchmark runs in a fresh interpreter (asv's ``timeraw_``) with an
empty numba cache, so it times the whole cold start: importing fastlr and
numba, compiling every function the first gradient needs, and that
gradient (a small one, so compiling is all that counts). Once per install
and per dtype/layout of X; numba's on-disk cache makes later processes load
the code in a fraction of this.
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
