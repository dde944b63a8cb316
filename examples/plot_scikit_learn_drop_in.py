"""
A drop-in for scikit-learn's LogisticRegression
===============================================

``fastlr.LogisticRegression`` takes scikit-learn's parameters and lands on
scikit-learn's optimum: change the import and nothing else. Here on breast
cancer, standardised, in a pipeline and a cross-validation, and the two
models' coefficients side by side.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fastlr

X, y = load_breast_cancer(return_X_y=True)

ours = make_pipeline(StandardScaler(), fastlr.LogisticRegression(C=1.0, tol=1e-8))
theirs = make_pipeline(StandardScaler(), SklearnLogisticRegression(C=1.0, tol=1e-8))
print("fastlr       accuracy (5-fold):", cross_val_score(ours, X, y).mean().round(4))
print("scikit-learn accuracy (5-fold):", cross_val_score(theirs, X, y).mean().round(4))

# %%
# The same objective, the same method (L-BFGS with scikit-learn's scaling and
# stopping rule): the same coefficients, to far below the tolerance.
ours.fit(X, y)
theirs.fit(X, y)
a = ours[-1].coef_
b = theirs[-1].coef_
print("iterations:", ours[-1].n_iter_[0], "and", theirs[-1].n_iter_[0])
print("largest coefficient difference:", float(np.abs(a - b).max()))
