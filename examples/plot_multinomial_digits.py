"""
Ten classes: the multinomial loss on digits
===========================================

More than two classes are fitted with the multinomial (softmax) loss, as
scikit-learn does: ``coef_`` has one row per class and ``predict_proba`` is
the softmax. The fitted rows, drawn as 8 x 8 images, show what each class
looks for.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import fastlr

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
model = fastlr.LogisticRegression(C=0.1, max_iter=1000).fit(scaler.transform(X_train), y_train)
print("classes:", model.classes_)
print("coef_ shape:", model.coef_.shape)
print("test accuracy:", round(model.score(scaler.transform(X_test), y_test), 4))

# %%
fig, axes = plt.subplots(2, 5, figsize=(8, 3.5))
for digit, ax in zip(model.classes_, axes.ravel()):
    ax.imshow(model.coef_[digit].reshape(8, 8), cmap="RdBu_r")
    ax.set_title(str(digit))
    ax.set_axis_off()
fig.suptitle("coefficients per class")
fig.tight_layout()
