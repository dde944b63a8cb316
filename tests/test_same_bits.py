"""Same input, same bits: whatever the memory addresses, the thread count, the pool size or the calling thread.

The compiled kernels promise the result to the last bit. Two ways it was
broken, each tested here: sums whose order LLVM chose at run time from the
addresses of per-call temporaries (a float32 X with float64 ``Y`` and ``w``
converts them on every call, at a new address each time), and a partition
of the work that followed numba's pool size (``NUMBA_NUM_THREADS=1`` in a
loky worker cut X differently from its parent).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastlr

COMPILED = [name for name in ("numba", "numba-parallel") if name in fastlr.available_kernels()]
pytestmark = pytest.mark.skipif(not COMPILED, reason="numba is not installed")


def _bits(result):
    dw, db, cost = result
    return dw.tobytes(), np.float64(db).tobytes(), np.float64(cost).tobytes()


def _converted_problem(seed=0):
    """float32 C-ordered X with float64 Y and w: Y and w are converted on every call."""
    rng = np.random.default_rng(seed)
    X = np.ascontiguousarray(rng.standard_normal((20, 20_000)).astype(np.float32))
    Y = (rng.random(20_000) < 0.4).astype(np.float64)
    w = 0.1 * rng.standard_normal(20)
    return w, X, Y


@pytest.mark.parametrize("kernel", COMPILED)
def test_same_bits_while_the_heap_shifts(kernel):
    """300 calls, the heap shifted between them by allocations of random sizes that stay alive."""
    w, X, Y = _converted_problem()
    rng = np.random.default_rng(1)
    kept = []
    seen = set()
    for _ in range(300):
        kept.append(np.empty(int(rng.integers(1, 200_000)), dtype=np.uint8))
        seen.add(_bits(fastlr.gradient(w, 0.3, X, Y, kernel=kernel)))
    assert len(seen) == 1


@pytest.mark.parametrize("kernel", COMPILED)
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("labels", ["classes", "probabilities"])
def test_softmax_same_bits_while_the_heap_shifts(kernel, order, labels, default_threads):
    """The multinomial op: 100 calls on 1 and 2 threads in turn while the heap shifts; one result.

    The biases, labels and weights are converted on every call (new
    addresses), and so are numba's tile buffers. The softmax pass once gave
    ``dW`` one ulp apart from call to call in C order (its element-wise
    loops are now compiled without fastmath).
    """
    rng = np.random.default_rng(3)
    X = np.asarray(rng.standard_normal((11, 20_000)), order=order)
    W = rng.standard_normal((6, 11))
    b = [0.1, -0.2, 0.3, 0.0, 0.5, -0.1]  # a list: a new float64 array each call
    y = rng.integers(0, 6, 20_000).astype(np.int32)  # converted to int64 each call
    Y = np.eye(6)[:, y] if labels == "probabilities" else y
    s = rng.random(20_000).astype(np.float32)  # converted to float64 each call
    kept = []
    seen = set()
    for call in range(100):
        kept.append(np.empty(int(rng.integers(1, 200_000)), dtype=np.uint8))
        fastlr.set_num_threads(1 + call % 2)
        dW, db, cost = fastlr.softmax_gradient(W, b, X, Y, kernel=kernel, sample_weight=s)
        seen.add((dW.tobytes(), db.tobytes(), np.float64(cost).tobytes()))
    assert len(seen) == 1


def _at(offset, array):
    """A copy of ``array`` starting ``offset`` bytes past a fresh allocation, in its layout."""
    raw = np.empty(array.nbytes + 64, dtype=np.uint8)[offset:offset + array.nbytes]
    layout = "F" if array.flags.f_contiguous and not array.flags.c_contiguous else "C"
    copy = raw.view(array.dtype).reshape(array.shape, order=layout)
    copy[...] = array
    return copy


# 13 features: the passes over an F-ordered X four examples per step; 32 and 100: one at a time
@pytest.mark.parametrize("n_x", [13, 32, 100])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_bits_at_every_alignment_of_the_inputs(order, dtype, n_x):
    """X, y and the weights copied to every offset of 4 bytes within 64: one result per kernel."""
    rng = np.random.default_rng(2)
    X0 = np.asarray(rng.standard_normal((n_x, 4_099)), order=order).astype(dtype)
    y0 = (rng.random(4_099) < 0.5).astype(dtype)
    s0 = rng.random(4_099).astype(dtype)
    w = (0.2 * rng.standard_normal(n_x)).astype(dtype)
    item = np.dtype(dtype).itemsize

    for kernel in COMPILED:
        seen = set()
        for offset in range(0, 64, 4 if item == 4 else 8):
            result = fastlr.gradient(w, 0.1, _at(offset, X0), _at(offset, y0), kernel=kernel,
                                     sample_weight=_at(offset, s0))
            seen.add(_bits(result))
        assert len(seen) == 1, kernel


@pytest.mark.parametrize("n_x", [13, 32, 100])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gram_product_same_bits_at_every_alignment(order, dtype, n_x):
    """The Gram product, X and the weights at every offset within 64 bytes: one result per kernel."""
    rng = np.random.default_rng(4)
    X0 = np.asarray(rng.standard_normal((n_x, 4_099)), order=order).astype(dtype)
    c0 = rng.random(4_099)
    v = rng.standard_normal(n_x + 1)
    for kernel in COMPILED:
        product = fastlr.get_kernel(kernel).gram_product
        seen = {product(_at(offset, X0), _at(offset, c0), v).tobytes()
                for offset in range(0, 64, np.dtype(dtype).itemsize)}
        assert len(seen) == 1, kernel


def test_tile_sums_do_not_depend_on_the_work_buffers_address():
    """The compiled tile loop itself, its work buffer placed at every 8-byte offset within 64."""
    import numba

    from fastlr.kernels import _loops

    @numba.njit
    def tile_length(X):  # the loops' helpers are called from compiled code only
        return _loops.tile_length(X)

    @numba.njit
    def range_sums(w, X, Y, dw, z):
        return _loops.range_sums(w, 0.3, X, Y, Y[:0], dw, z, 0, X.shape[1])  # no weights

    w, X, Y = _converted_problem()
    w, Y = w.astype(np.float32), Y.astype(np.float32)
    tile = tile_length(X)
    raw = np.empty(2 * tile * 8 + 64, dtype=np.uint8)
    seen = set()
    for offset in range(0, 64, 8):
        z = raw[offset:offset + 2 * tile * 8].view(np.float64).reshape(2, tile)
        dw = np.zeros(X.shape[0])
        sums = range_sums(w, X, Y, dw, z)
        seen.add((dw.tobytes(), sums))
    assert len(seen) == 1


_IN_A_SMALL_POOL = textwrap.dedent("""
    import sys
    import numpy as np
    import fastlr
    rng = np.random.default_rng(3)
    X = np.asarray(rng.standard_normal((31, 50_001)), order=sys.argv[1])
    y = (rng.random(50_001) < 0.5).astype(float)
    dw, db, cost = fastlr.gradient(0.1 * rng.standard_normal(31), 0.2, X, y, kernel="numba-parallel")
    sys.stdout.write(dw.tobytes().hex() + " " + np.float64(db).tobytes().hex() + " "
                     + np.float64(cost).tobytes().hex())
""")


@pytest.mark.parametrize("order", ["C", "F"])
def test_same_bits_with_a_pool_of_one_thread(order):
    """``NUMBA_NUM_THREADS=1`` (as loky sets in its workers) gives the bits of the full pool."""
    if "numba-parallel" not in COMPILED:
        pytest.skip("needs numba-parallel")
    outputs = []
    for threads in ("1", None):
        env = dict(os.environ)
        env.pop("NUMBA_NUM_THREADS", None)
        if threads:
            env["NUMBA_NUM_THREADS"] = threads
        done = subprocess.run([sys.executable, "-c", _IN_A_SMALL_POOL, order], env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]


def test_numbas_own_thread_setting_is_restored():
    """fastlr sets numba's per-thread count for its call only: a user's setting holds after it."""
    if "numba-parallel" not in COMPILED:
        pytest.skip("needs numba-parallel")
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs a pool of two threads or more")
    rng = np.random.default_rng(4)
    X = rng.standard_normal((20, 30_000))
    y = (X[0] > 0).astype(float)
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        fastlr.gradient(np.zeros(20), 0.0, X, y, kernel="numba-parallel")
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fastlr.train(X, y, kernel="numba-parallel", max_iter=3)
        assert numba.get_num_threads() == 1
    finally:
        numba.set_num_threads(before)
