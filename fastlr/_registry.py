"""The one table of kernels and their ops, and the one place that resolves a kernel choice.

Every kernel fastlr ships is a row of ``_TABLE``: its public name, the module
under ``fastlr.kernels`` that implements it, what it needs installed, the
ops it offers (:data:`BINARY`, :data:`MULTINOMIAL`, and both on a sparse
X, :data:`SPARSE_BINARY`, :data:`SPARSE_MULTINOMIAL`; the Hessians,
:data:`BINARY_HESSIAN`, :data:`MULTINOMIAL_HESSIAN` and their sparse ops; the
weighted Gram product :data:`GRAM_PRODUCT`, the multinomial Hessian-vector product
:data:`MULTINOMIAL_PRODUCT` and their sparse ops; ``fastlr.kernels``
states each op's contract and the module-level function behind it), and a
line for humans. Names are normalised once (case, ``_`` for ``-``,
surrounding blanks) and resolved to a :class:`Kernel` whose module is
imported on first use, so ``import fastlr`` never pays for numba.

``"auto"`` is not a kernel but a choice: :data:`AUTO_KERNEL` stands for it
until X is known. :func:`resolve` turns the ``kernel=`` argument and the op
a problem needs into the kernel that runs it: the named kernel when it
offers the op (else :class:`KernelUnavailableError` naming those that do),
or auto's choice among the kernels that offer it (``fastlr._auto``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from ._errors import KernelUnavailableError, UnknownKernelError
from ._finish import binary_means, weight_total

__all__ = [
    "AUTO",
    "AUTO_KERNEL",
    "KERNELS",
    "Kernel",
    "available_kernels",
    "compiled_kernels",
    "BINARY",
    "BINARY_HESSIAN",
    "GRAM_PRODUCT",
    "MULTINOMIAL",
    "MULTINOMIAL_HESSIAN",
    "MULTINOMIAL_PRODUCT",
    "SPARSE_BINARY",
    "SPARSE_BINARY_HESSIAN",
    "SPARSE_GRAM_PRODUCT",
    "SPARSE_MULTINOMIAL",
    "SPARSE_MULTINOMIAL_HESSIAN",
    "SPARSE_MULTINOMIAL_PRODUCT",
    "get_kernel",
    "offering",
    "lookup_kernel",
    "resolve",
]

AUTO = "auto"

#: The ops a kernel may offer (``fastlr.kernels`` states their contracts).
BINARY = "binary"
MULTINOMIAL = "multinomial"
#: The same two problems on a scipy.sparse X (CSC or CSR ``(n_x, m)``).
SPARSE_BINARY = "sparse-binary"
SPARSE_MULTINOMIAL = "sparse-multinomial"
#: The binary problem's sums with its Hessian, in one pass (``solver="newton-cholesky"``).
BINARY_HESSIAN = "binary-hessian"
SPARSE_BINARY_HESSIAN = "sparse-binary-hessian"
#: The multinomial problem's sums with its block Hessian (``K (n_x + 1)`` square).
MULTINOMIAL_HESSIAN = "multinomial-hessian"
SPARSE_MULTINOMIAL_HESSIAN = "sparse-multinomial-hessian"
#: ``[X; 1] diag(c) [X; 1]ᵀ v`` in one pass: the binary Hessian-vector product (``solver="newton-cg"``).
GRAM_PRODUCT = "gram-product"
SPARSE_GRAM_PRODUCT = "sparse-gram-product"
#: The multinomial Hessian times a direction ``(V, v_b)``, in one pass where the kernel can.
MULTINOMIAL_PRODUCT = "multinomial-product"
SPARSE_MULTINOMIAL_PRODUCT = "sparse-multinomial-product"


class _Op(NamedTuple):
    """An op on a dense X, and what its name fixes: the field of :class:`Kernel` that holds it
    and the module-level function of every kernel module that implements it. Its op on a
    sparse X is named ``sparse-`` + ``name``, held by ``sparse_`` + ``field``, implemented by
    ``sparse_`` + ``function``."""

    name: str
    field: str
    function: str
    x_at: int  # where X is among the function's arguments (for auto's choice)
    multinomial: bool  # the first argument is ``W (K, n_x)``, K the problem's classes

    @property
    def sparse(self) -> str:
        return "sparse-" + self.name


#: Every op, one row each: a new op is a row here, a field of :class:`Kernel`, and its function
#: in the kernel modules that offer it.
_OPS: tuple[_Op, ...] = (
    _Op(BINARY, "binary", "binary_sums", 2, False),
    _Op(MULTINOMIAL, "multinomial", "multinomial_sums", 2, True),
    _Op(BINARY_HESSIAN, "binary_hessian", "binary_hessian_sums", 2, False),
    _Op(MULTINOMIAL_HESSIAN, "multinomial_hessian", "multinomial_hessian_sums", 2, True),
    _Op(GRAM_PRODUCT, "gram_product", "gram_product", 0, False),
    _Op(MULTINOMIAL_PRODUCT, "multinomial_product", "multinomial_product", 2, True),
)
#: The :class:`Kernel` field that holds each op, dense and sparse.
_OP_FIELDS = {**{op.name: op.field for op in _OPS}, **{op.sparse: "sparse_" + op.field for op in _OPS}}
#: The module-level function behind each op.
_OP_FUNCTIONS = {**{op.name: op.function for op in _OPS},
                 **{op.sparse: "sparse_" + op.function for op in _OPS}}
#: The op a problem needs when its X is sparse.
_SPARSE_OP = {op.name: op.sparse for op in _OPS}
#: The ops every kernel fastlr ships offers.
_GRADIENT_OPS = (BINARY, MULTINOMIAL, SPARSE_BINARY, SPARSE_MULTINOMIAL, GRAM_PRODUCT,
                 SPARSE_GRAM_PRODUCT, MULTINOMIAL_PRODUCT, SPARSE_MULTINOMIAL_PRODUCT)
_ALL_OPS = tuple(_OP_FIELDS)


class _Row(NamedTuple):
    name: str
    module: str
    requires: str | None  # the distribution to install, None when only numpy
    ops: tuple[str, ...]
    description: str


_TABLE: tuple[_Row, ...] = (
    _Row("python", "python_loops", None, (*_GRADIENT_OPS, BINARY_HESSIAN),
         "two explicit pure-Python loops, over examples and over features"),
    _Row("partial", "partial_loop", None, (*_GRADIENT_OPS, BINARY_HESSIAN),
         "a Python loop over examples, NumPy over features"),
    _Row("numpy", "vectorized", None, _ALL_OPS,
         "fully vectorized: w @ X and X @ dz through BLAS"),
    _Row("numba", "numba_loops", "numba", (*_GRADIENT_OPS, BINARY_HESSIAN),
         "explicit loops JIT-compiled by numba, one thread, loop order following X's layout"),
    _Row("numba-parallel", "numba_parallel", "numba", (*_GRADIENT_OPS, BINARY_HESSIAN),
         "one fused pass over X on every core (numba prange), per-thread partial sums"),
)
_ROWS = {row.name: row for row in _TABLE}

#: The kernels fastlr ships, slowest first, as in the course notes' table.
KERNELS: tuple[str, ...] = tuple(row.name for row in _TABLE)


@dataclass(frozen=True)
class Kernel:
    """A gradient kernel: a name and the functions that implement it.

    Parameters
    ----------
    name : str
        The kernel's name, as in :data:`fastlr.KERNELS` for those fastlr ships.
    gradient : callable
        ``gradient(w, b, X, y, alpha, sample_weight) -> (dw, db, cost)``: the
        means and penalty on clean input, ``dw`` in X's dtype (see
        :mod:`fastlr.kernels`). For the kernels fastlr ships it is their
        binary op's sums finished by ``fastlr._finish``; a kernel of your
        own may give this function alone.
    train : callable or None
        A compiled gradient-descent loop, when the kernel has one:
        ``train(w, b, X, y, alpha, sample_weight, learning_rate, max_iter,
        tol, fit_intercept=True)``, as documented in :mod:`fastlr.kernels`
        (``fit_intercept`` is passed only when ``False``).
    description : str
        One line for humans.
    multinomial : callable or None
        The multinomial op, ``multinomial_sums(W, b, X, labels, Y,
        sample_weight) -> (dW, db, cost)`` weighted sums (see
        :mod:`fastlr.kernels`), or ``None`` when the kernel lacks it.
    binary : callable or None
        The binary op's sums, ``binary_sums(w, b, X, y, sample_weight) ->
        (dw, db, cost)``, when the kernel exposes them (``gradient`` is
        then built from it).
    sparse_binary, sparse_multinomial : callable or None
        The two ops' sums on a scipy.sparse X (CSC or CSR ``(n_x, m)``),
        with the signatures of ``binary`` and ``multinomial``, or ``None``
        when the kernel lacks them. :func:`resolve` runs them through
        :meth:`sparse_face`.
    binary_hessian, sparse_binary_hessian : callable or None
        The Hessian op on a dense or a sparse X, ``binary_hessian_sums(w, b,
        X, y, sample_weight) -> (H, dw, db, cost)`` weighted sums, ``H`` the
        ``(n_x + 1, n_x + 1)`` weighted Gram matrix of ``[X; 1]`` (see
        :mod:`fastlr.kernels`), or ``None`` when the kernel lacks it.
    multinomial_hessian, sparse_multinomial_hessian : callable or None
        The multinomial op's sums with its block Hessian,
        ``multinomial_hessian_sums(W, b, X, labels, Y, sample_weight) -> (H,
        dW, db, cost)``, ``H`` of side ``K (n_x + 1)`` (``W`` flat by class,
        then the K intercepts), or ``None``.
    gram_product, sparse_gram_product : callable or None
        The weighted Gram product on a dense or a sparse X, ``gram_product(X,
        c, v) -> [X; 1] diag(c) [X; 1]ᵀ v`` (float64, ``n_x + 1``; see
        :mod:`fastlr.kernels`), or ``None`` when the kernel lacks it.
    multinomial_product, sparse_multinomial_product : callable or None
        The multinomial Hessian-vector product's sums on a dense or a sparse
        X, ``multinomial_product(V, v_b, X, A, c) -> (HV, h_b)`` (float64
        ``(K, n_x)`` and ``(K,)``; see :mod:`fastlr.kernels`), or ``None``
        when the kernel lacks it.
    """

    name: str
    gradient: Callable[..., tuple[Any, float, float]] = field(repr=False)
    train: Callable[..., Any] | None = field(default=None, repr=False)
    description: str = ""
    multinomial: Callable[..., tuple[Any, Any, float]] | None = field(default=None, repr=False)
    binary: Callable[..., tuple[Any, float, float]] | None = field(default=None, repr=False)
    sparse_binary: Callable[..., tuple[Any, float, float]] | None = field(default=None, repr=False)
    sparse_multinomial: Callable[..., tuple[Any, Any, float]] | None = field(default=None,
                                                                             repr=False)
    binary_hessian: Callable[..., tuple[Any, Any, float, float]] | None = field(default=None,
                                                                                repr=False)
    sparse_binary_hessian: Callable[..., tuple[Any, Any, float, float]] | None = field(
        default=None, repr=False)
    multinomial_hessian: Callable[..., tuple[Any, Any, Any, float]] | None = field(
        default=None, repr=False)
    sparse_multinomial_hessian: Callable[..., tuple[Any, Any, Any, float]] | None = field(
        default=None, repr=False)
    gram_product: Callable[..., Any] | None = field(default=None, repr=False)
    sparse_gram_product: Callable[..., Any] | None = field(default=None, repr=False)
    multinomial_product: Callable[..., tuple[Any, Any]] | None = field(default=None, repr=False)
    sparse_multinomial_product: Callable[..., tuple[Any, Any]] | None = field(default=None,
                                                                              repr=False)

    def offers(self, op: str) -> bool:
        """Whether this kernel implements ``op`` (one of :data:`BINARY`, :data:`MULTINOMIAL`,
        :data:`SPARSE_BINARY`, :data:`SPARSE_MULTINOMIAL`, :data:`BINARY_HESSIAN`,
        :data:`SPARSE_BINARY_HESSIAN`, :data:`MULTINOMIAL_HESSIAN`,
        :data:`SPARSE_MULTINOMIAL_HESSIAN`, :data:`GRAM_PRODUCT`, :data:`SPARSE_GRAM_PRODUCT`,
        :data:`MULTINOMIAL_PRODUCT`, :data:`SPARSE_MULTINOMIAL_PRODUCT`).
        The binary op is offered by ``gradient`` (a kernel of your own may give it alone)."""
        return getattr(self, "gradient" if op == BINARY else _OP_FIELDS[op]) is not None

    def op(self, name: str) -> Callable[..., Any] | None:
        """The function behind op ``name`` (a dense op's name; on a :meth:`sparse_face`, the
        kernel's sparse op of that name), or ``None`` when the kernel lacks it."""
        return getattr(self, _OP_FIELDS[name])

    def sparse_face(self) -> Kernel:
        """This kernel for a sparse X: a :class:`Kernel` of the same name whose ``gradient``,
        ``binary``, ``multinomial``, the two Hessians and the two products are its sparse ops,
        without a compiled loop.

        Everything that runs a kernel (``fastlr.gradient``, the training
        objectives) then runs the sparse ops unchanged.
        """
        shipped = _loaded.get(self.name) is self  # remembered for fastlr's own kernels only
        face = _faces.get(self.name) if shipped else None
        if face is None:
            face = Kernel(
                name=self.name,
                gradient=None if self.sparse_binary is None else finished(self.sparse_binary),  # type: ignore[arg-type]
                description=self.description,
                **{op.field: getattr(self, "sparse_" + op.field) for op in _OPS},
            )
            if shipped:
                _faces[self.name] = face
        return face


_faces: dict[str, Kernel] = {}  # the sparse faces of the kernels fastlr ships, by name


_loaded: dict[str, Kernel] = {}
_unavailable: dict[str, KernelUnavailableError] = {}


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def _valid_names() -> str:
    return ", ".join((*KERNELS, AUTO))


def _load(row: _Row) -> Kernel:
    kernel = _loaded.get(row.name)
    if kernel is None:
        if row.name in _unavailable:
            raise _unavailable[row.name]
        try:
            module = importlib.import_module(f"fastlr.kernels.{row.module}")
        except ImportError as exc:
            error = KernelUnavailableError(
                f"kernel {row.name!r} needs {row.requires}, which cannot be "
                f"imported here ({exc}); install it with `pip install {row.requires}`"
            )
            error.__cause__ = exc
            _unavailable[row.name] = error
            raise error from exc
        ops = {op: getattr(module, _OP_FUNCTIONS[op]) for op in row.ops}
        kernel = Kernel(
            name=row.name,
            gradient=finished(ops[BINARY]),
            train=getattr(module, "train", None),
            description=row.description,
            **{_OP_FIELDS[op]: function for op, function in ops.items()},
        )
        _loaded[row.name] = kernel
    return kernel


def finished(binary_sums: Callable[..., tuple[Any, float, float]]) -> Callable[..., tuple[Any, float, float]]:
    """``gradient(w, b, X, y, alpha, sample_weight)`` from a binary op's sums, finished in one place."""

    def gradient(w, b, X, y, alpha, sample_weight):
        dw, db, cost = binary_sums(w, b, X, y, sample_weight)
        dw, db, cost = binary_means(w, alpha, weight_total(sample_weight, X.shape[1]), dw, db, cost)
        return dw.astype(X.dtype, copy=False), db, cost

    gradient.__doc__ = f"{binary_sums.__doc__}\n\nFinished: means over sum(s), plus the L2 penalty."
    return gradient


def _row(name: str) -> _Row:
    if not isinstance(name, str):
        raise TypeError(
            f"kernel must be a name (str) or a fastlr.Kernel; got {type(name).__name__} "
            f"{name!r}; valid names: {_valid_names()}"
        )
    row = _ROWS.get(_normalise(name))
    if row is None:
        raise UnknownKernelError(f"unknown kernel {name!r}; available: {_valid_names()}")
    return row


def _importable(row: _Row) -> bool:
    try:
        _load(row)
    except KernelUnavailableError:
        return False
    return True


def compiled_kernels() -> tuple[str, ...]:
    """The names of the kernels whose code numba compiles, available here or not."""
    return tuple(row.name for row in _TABLE if row.requires == "numba")


def available_kernels() -> tuple[str, ...]:
    """The names of the kernels usable here, in the order of :data:`KERNELS`.

    A kernel whose optional dependency (numba) does not import is left out.
    The first call imports each kernel's module.
    """
    return tuple(row.name for row in _TABLE if _importable(row))


def get_kernel(name: str) -> Kernel:
    """The :class:`Kernel` behind a name.

    Parameters
    ----------
    name : str
        A name from :data:`KERNELS` (case-insensitive, ``_`` for ``-``
        accepted), or ``"auto"``: a kernel that picks, on each call, the
        fastest kernel available here for that X (see ``fastlr._auto``).

    Raises
    ------
    UnknownKernelError
        If fastlr has no kernel of that name (a ``ValueError``).
    KernelUnavailableError
        If the kernel needs a package that does not import (an ``ImportError``).
    """
    if isinstance(name, str) and _normalise(name) == AUTO:
        return AUTO_KERNEL
    return _load(_row(name))


def _auto_gradient(w, b, X, y, alpha, sample_weight):
    return resolve(AUTO_KERNEL, BINARY, X).gradient(w, b, X, y, alpha, sample_weight)


def _auto(op: _Op) -> Callable[..., Any]:
    """``op`` run by the kernel auto chooses for its X (and K), dense or sparse alike: on a
    sparse X :func:`resolve` gives the sparse face, whose ``op.field`` is the sparse op."""
    field, x_at, multinomial = op.field, op.x_at, op.multinomial

    def run(*args):
        return getattr(resolve(AUTO_KERNEL, op.name, args[x_at],
                               args[0].shape[0] if multinomial else 1), field)(*args)

    run.__name__ = run.__qualname__ = f"auto_{field}"
    return run


#: What ``get_kernel("auto")`` returns: it chooses per call, from X.
AUTO_KERNEL = Kernel(
    name=AUTO,
    gradient=_auto_gradient,
    description="the fastest kernel available here for the shape, dtype and layout of X",
    **{field: _auto(op) for op in _OPS for field in (op.field, "sparse_" + op.field)},
)

_looked_up: dict[str, Kernel] = {}


def lookup_kernel(kernel: str | Kernel) -> Kernel:
    """The ``kernel=`` argument of the public API as a :class:`Kernel` (maybe ``AUTO_KERNEL``).

    Names are resolved once and remembered, so that the public API pays a
    dictionary lookup per call.
    """
    if type(kernel) is str:
        found = _looked_up.get(kernel)
        if found is None:
            found = _looked_up[kernel] = get_kernel(kernel)
        return found
    if isinstance(kernel, Kernel):
        return kernel
    return get_kernel(kernel)  # raises the TypeError that names the valid choices


def offering(op: str) -> tuple[str, ...]:
    """The names of the kernels fastlr ships that offer ``op``, in the table's order."""
    return tuple(row.name for row in _TABLE if op in row.ops)


_choose: Callable[..., Kernel] | None = None  # fastlr._auto.choose_kernel, once imported


def resolve(kernel: str | Kernel, op: str, X: Any, n_classes: int = 1, *,
            solver_loop: bool = False) -> Kernel:
    """The kernel that runs ``op`` on a validated ``X``: the one asked for, or auto's choice.

    For a sparse X the op is the problem's sparse op (:data:`SPARSE_BINARY`,
    :data:`SPARSE_MULTINOMIAL`), and what is returned is the chosen kernel's
    :meth:`Kernel.sparse_face`.

    Parameters
    ----------
    kernel : str or Kernel
        The ``kernel=`` argument of the public API (a name, ``"auto"`` or a
        :class:`Kernel`).
    op : str
        :data:`BINARY`, :data:`MULTINOMIAL`, :data:`BINARY_HESSIAN`,
        :data:`MULTINOMIAL_HESSIAN`, :data:`GRAM_PRODUCT` or :data:`MULTINOMIAL_PRODUCT` (the
        problem; X says whether sparse).
    X : ndarray or scipy.sparse matrix
        The validated X, from which ``auto`` chooses.
    n_classes : int
        K, for the multinomial op.
    solver_loop : bool
        Whether a solver's loop calls the op, with Python between the calls
        (``auto`` then wants more work for ``numba-parallel``: ``fastlr._auto``).

    Raises
    ------
    UnknownKernelError, KernelUnavailableError, TypeError
        As :func:`get_kernel`; and ``KernelUnavailableError`` for a kernel
        that lacks ``op``, naming those that offer it.
    """
    global _choose
    named = lookup_kernel(kernel)
    sparse = getattr(X, "format", None) is not None  # scipy.sparse: NumPy arrays have no format
    if sparse:
        op = _SPARSE_OP.get(op, op)
    if named is AUTO_KERNEL:
        if _choose is None:
            from ._auto import choose_kernel  # imports this module: not at the top

            _choose = choose_kernel
        named = _choose(X, op, n_classes, solver_loop=solver_loop)
    elif not named.offers(op):
        raise KernelUnavailableError(
            f"kernel {named.name!r} has no {op} op; kernels that offer it: "
            f"{', '.join((*offering(op), AUTO))}"
        )
    return named.sparse_face() if sparse else named
