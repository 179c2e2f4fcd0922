"""Writes tuning.db, the sample Optuna study, with the real Optuna (Debian python3-optuna 3.1).

    /usr/bin/python3 examples/studies/make_study.py

A TPE search with a median pruner over the TinyClassifier's learning rate (log scale), width,
optimizer (categorical) and dropout: complete, pruned and one failed trial, intermediate values,
and each trial's MLflow run id in its user attributes (the first one is an example run in ../mlruns).
"""
import math
import os

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "tuning.db")
if os.path.exists(path):
    os.remove(path)


def objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    hidden = trial.suggest_int("hidden", 8, 64, log=True)
    optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd"])
    dropout = trial.suggest_float("dropout", 0.0, 0.4)
    if trial.number == 0:
        trial.set_user_attr("mlflow_run_id", "7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f")
    if trial.number == 5:
        raise ValueError("loss diverged")
    val_loss = 0.25 + 0.1 * (math.log10(lr) + 2.3) ** 2 + (0.08 if optimizer == "sgd" else 0) + 0.02 * abs(math.log2(hidden / 24)) + 0.05 * dropout
    for epoch in range(6):
        trial.report(val_loss + 0.4 * 0.6**epoch, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return val_loss


study = optuna.create_study(
    study_name="tiny-classifier-tuning",
    storage="sqlite:///" + path,
    direction="minimize",
    sampler=optuna.samplers.TPESampler(seed=42),
    pruner=optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=2),
)
study.optimize(objective, n_trials=30, catch=(ValueError,))
