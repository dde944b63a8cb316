"""The gradient kernels behind ``fastlr.gradient`` and ``fastlr.softmax_gradient``, one module per kernel.

A kernel module implements ops, one function each, on clean input; which
kernel offers which op is recorded in one table (``fastlr._registry``).

The binary op
-------------

Every kernel module exposes the same function::

    binary_sums(w, b, X, y, sample_weight) -> (dw, db, cost)

and receives clean input only (``fastlr`` validates once, kernels never do):

- ``X``: ``(n_x, m)``, float32 or float64, any memory layout, finite unless
  the caller turned checking off; never modified.
- ``w``: ``(n_x,)`` and ``y``: ``(m,)``, both in ``X``'s dtype.
- ``b``: a Python float.
- ``sample_weight``: ``None`` or ``(m,)`` in ``X``'s dtype, non-negative,
  not all zero.

It returns weighted *sums*: ``dw`` as a new ``(n_x,)`` float64 array, ``db``
and ``cost`` as Python floats, computed as ``docs/design.md`` states::

    z = w·X + b,  a = sigmoid(z),  dz = a - y,  s = sample_weight or 1
    cost = sum(s * (log1pexp(z) - y z))
    dw   = X (s dz)
    db   = sum(s dz)

``fastlr._finish`` turns them into the means plus the L2 penalty (``/
sum(s)``, ``+ alpha w``), for this op and the multinomial one: no kernel
writes that finish.

Sums accumulate in float64 whatever the input dtype, except inside BLAS
(the ``numpy`` kernel), which sums in the input dtype.

A kernel may also expose a compiled gradient-descent loop (which finishes
its own iterations in compiled code: it does not return to Python between
them)::

    train(w, b, X, y, alpha, sample_weight, learning_rate, max_iter, tol,
          fit_intercept=True) -> (w float64, b, costs, status)

with ``status`` one of the codes below; see ``fastlr._training`` for the
iteration it must compute. Without ``fit_intercept`` the loop holds ``b``
where it started and leaves ``db`` out of the convergence test. A compiled
loop returns to Python at least every ~0.1 s (``_interruptible``), so that
Ctrl-C stops it.

The multinomial op
------------------

::

    multinomial_sums(W, b, X, labels, Y, sample_weight) -> (dW, db, cost)

on clean input: ``W (K, n_x)`` in X's dtype, ``b (K,)`` float64, X as above,
and the labels either as ``labels`` (``(m,)`` int64 in ``[0, K)``, ``Y`` is
``None``) or as ``Y`` (``(K, m)`` probabilities in X's dtype whose columns
sum to 1, ``labels`` is ``None``). It returns weighted *sums*, all float64::

    Z = W X + b,  A = softmax(Z) per column,  dZ = A - Y,  s = sample_weight or 1
    dW   = (s dZ) Xᵀ                      (K, n_x)
    db   = sum over examples of s dZ      (K,)
    cost = sum over examples of s (logsumexp(Z) - sum_k Y_k Z_k)

and ``fastlr._finish`` divides by ``sum(s)`` and adds the penalty, as
scikit-learn's ``_linear_loss`` does. The softmax is stable for any finite logits (``kernels._stable`` has the
formulas).

The sparse ops
--------------

::

    sparse_binary_sums(w, b, X, y, sample_weight) -> (dw, db, cost)
    sparse_multinomial_sums(W, b, X, labels, Y, sample_weight) -> (dW, db, cost)

the same contracts and sums with X a scipy.sparse matrix or array of shape
``(n_x, m)`` in CSC (each example's entries together) or CSR format,
float32 or float64 values, int32 or int64 indices, entries as stored
(unsorted, duplicated, explicit zeros: each entry is added as it is, as in
scipy's arithmetic). X is never densified and never modified. A compiled
sparse pass bounds every index as it reads it: an index outside X's shape
makes the output NaN, never an access outside the arrays.

The Hessian ops (``solver="newton-cholesky"``)
-----------------------------------------------

::

    binary_hessian_sums(w, b, X, y, sample_weight) -> (H, dw, db, cost)
    multinomial_hessian_sums(W, b, X, labels, Y, sample_weight) -> (H, dW, db, cost)

(and ``sparse_binary_hessian_sums``, ``sparse_multinomial_hessian_sums`` on a
sparse X): the binary or multinomial op's sums, and the Hessian's, from one
pass over X where the kernel can. ``H`` is float64, symmetric to the bit::

    binary:       H = [X; 1] diag(s a (1 - a)) [X; 1]ᵀ        (n_x + 1) square, intercept last
    multinomial:  block (k, l) = [X; 1] diag(s p_k (δ_kl - p_l)) [X; 1]ᵀ,
                  ordered as W flattened class by class, then the K intercepts

``fastlr._finish`` divides by ``sum(s)`` and adds ``alpha`` to the diagonal
but the intercepts'. Every kernel offers the binary one on a dense X;
``numpy`` alone offers the sparse and the multinomial ones.

The Gram product op (``solver="newton-cg"``)
--------------------------------------------

::

    gram_product(X, c, v) -> [X; 1] diag(c) [X; 1]ᵀ v
    sparse_gram_product(X, c, v)                      (X scipy.sparse, CSC or CSR)

with ``c`` ``(m,)`` float64 weights and ``v`` ``(n_x + 1,)`` float64 (the
intercept's coordinate last); a new ``(n_x + 1,)`` float64 array. At the
curvature weights ``c = s a (1 - a) / sum(s)`` it is the binary Hessian
times ``v`` (``fastlr._hessian_product`` adds the L2 term), without forming
the Hessian: ``n_x`` multiply-adds twice per example, where the Hessian op
does ``(n_x + 1)^2 / 2``. The compiled kernels make one pass over X per
product (``_product_loops``); ``numpy`` two BLAS or scipy.sparse products.
Every kernel offers both.

The multinomial product op (``solver="newton-cg"`` with K classes)
--------------------------------------------------------------------

::

    multinomial_product(V, v_b, X, A, c) -> (HV, h_b)
    sparse_multinomial_product(V, v_b, X, A, c)      (X scipy.sparse, CSC or CSR)

for a direction ``V (K, n_x)``, ``v_b (K,)`` float64, the softmax
probabilities ``A (K, m)`` float64 and weights ``c (m,)`` float64; per
example ``u = V x + v_b``, ``p = a ⊙ u``, ``r = c (p - a (1ᵀp))``, and new
float64 arrays::

    HV  = sum over examples of r xᵀ     (K, n_x)
    h_b = sum over examples of r        (K,)

At ``c = s / sum(s)`` it is the multinomial Hessian times ``(V, v_b)``
(``fastlr._hessian_product`` adds the L2 term). The compiled kernels make
one pass over X per product (``_softmax_product_loops``: the softmax pass's
tiles with this step in place of the softmax); ``numpy`` two BLAS GEMMs or
scipy.sparse products. Every kernel offers both.

The compiled ops check their arguments' shapes against X's before their
loops index them (``_arguments``: O(1), a ``ValueError`` naming the
argument), so that a call past the validation layer with an array of the
wrong length raises instead of reading outside it.

Kernel modules know nothing of each other. What they share lives in private
modules: ``_stable`` (the per-example math on Python floats),
``_vector_math`` (the same math, vectorisable, for compiled loops),
``_loops`` (the compiled loops of ``numba`` and ``numba-parallel``),
``_softmax_loops`` (their multinomial passes), ``_sparse_loops`` (their
sparse passes), ``_product_loops`` (their Gram products),
``_softmax_product_loops`` (their multinomial products), ``_arguments``
(the shape checks before a compiled loop runs),
``_threads`` (the thread setting of the multi-threaded kernels),
``_threading_layer`` (numba's TBB layer made loadable),
``_interruptible`` (compiled calls that Ctrl-C can stop) and ``_ieee``
(floating-point error state).
"""

#: ``train`` status: stopped at ``max_iter`` before ``tol``.
MAX_ITER = 0
#: ``train`` status: ``max(|dw|, |db|) <= tol`` reached.
CONVERGED = 1
#: ``train`` status: the cost or gradient stopped being finite.
NOT_FINITE = 2
#: Status of one slice of a compiled loop (``_interruptible.run_in_slices``):
#: training goes on. Never returned by ``train``.
CONTINUE = -1
