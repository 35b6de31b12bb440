"""gradus: linear models and MLPs trained by SGD and its relatives, in Rust, with
scikit-learn's estimator API."""

from ._core import Model as _Model
from ._estimators import MLPClassifier, MLPRegressor, SGDClassifier, SGDRegressor

__all__ = ["SGDClassifier", "SGDRegressor", "MLPClassifier", "MLPRegressor", "load"]


def load(path):
    """Reads a model file (written by `est.save` or by `gradus train --save`) into the
    estimator it is: `SGDClassifier`/`SGDRegressor` for a linear model, `MLPClassifier`/
    `MLPRegressor` for a network, fitted, with `classes_` from the file's class names (or
    0..C−1), and a linear classifier's `class_weight` from the file's class weights."""
    import os

    import numpy as np

    model = _Model.load(os.fspath(path))
    linear = len(model.tensors()) == 2
    n_classes = model.n_classes()
    if n_classes:
        est = SGDClassifier(loss="log_loss" if model.loss == "softmax" else "hinge") if linear else MLPClassifier()
        names = model.class_names()
        classes = np.asarray(names if names is not None else range(n_classes))
        if names is not None:
            try:
                classes = np.asarray([int(n) for n in names])
            except ValueError:
                pass
        est.classes_ = classes
        if linear and model.class_weight is not None:
            est.class_weight = dict(zip(classes.tolist(), model.class_weight))
    else:
        est = SGDRegressor() if linear else MLPRegressor()
    est.model_ = model
    est.n_features_in_ = model.n_features
    est.loss_curve_ = []
    est.n_iter_ = 0
    # A model file holds no training state: no rows trained on since.
    est.t_ = float(est._T_FROM_ONE)
    est._publish()
    return est
