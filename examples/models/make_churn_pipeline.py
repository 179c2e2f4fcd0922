"""Writes churn_pipeline.joblib: a scikit-learn pipeline (StandardScaler, then LogisticRegression)
fitted on seeded synthetic churn data with named features, saved as people usually save one
(joblib.dump). Needs scikit-learn, joblib and pandas; the file is the same on every run with the same
versions. Open it in VS Code to see what the model viewer reads from it without unpickling it."""
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

rng = np.random.default_rng(0)
n = 500
X = pd.DataFrame({
    "tenure_months": rng.integers(1, 72, n),
    "monthly_charges": rng.normal(65, 20, n).round(2),
    "support_calls": rng.poisson(1.5, n),
    "contract_years": rng.choice([0, 1, 2], n),
})
logit = -0.04 * X.tenure_months + 0.02 * X.monthly_charges + 0.5 * X.support_calls - 0.8 * X.contract_years
y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "churned", "stayed")
model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=500)).fit(X, y)
joblib.dump(model, Path(__file__).with_name("churn_pipeline.joblib"))
