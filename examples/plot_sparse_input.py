"""
Sparse X, never densified
=========================

scipy.sparse input goes to the kernels as it is: a CSR matrix of samples by
features is, transposed, the CSC ``(n_x, m)`` matrix the compiled sparse
passes walk, a view. At the optimum the gradient of the fit's own objective
is below the tolerance; here it is computed with ``fastlr.gradient`` on the
same sparse matrix.
"""

import numpy as np
import scipy.sparse as sp

import fastlr

rng = np.random.default_rng(0)
n_samples, n_features = 20_000, 2_000
X = sp.random_array((n_samples, n_features), density=0.005, format="csr", rng=rng)
beta = rng.standard_normal(n_features)
y = (X @ beta + 0.1 * rng.standard_normal(n_samples) > 0).astype(int)
print(f"X: {X.nnz:,} stored entries, {X.data.nbytes + X.indices.nbytes + X.indptr.nbytes:,} bytes "
      f"(dense it would be {n_samples * n_features * 8:,})")

model = fastlr.LogisticRegression(C=1.0, tol=1e-6).fit(X, y)
print("iterations:", model.n_iter_[0])

# %%
# The gradient of ``sum(loss)/m + ||w||^2 / (2 C m)`` at the fitted model,
# in the kernels' ``(n_x, m)`` convention: ``X.T``.
dw, db, cost = fastlr.gradient(model.coef_[0], model.intercept_[0], X.T, y, alpha=1 / n_samples)
print(f"largest gradient component: {max(np.abs(dw).max(), abs(db)):.2e} (tol 1e-6)")
