"""On the GPU machine: the models the jobs read, written by that machine's torch and scikit-learn.
Usage: WORK"""
import os
import sys

import joblib
import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

work = sys.argv[1]
with open(os.path.join(work, "mynet.py"), "w") as f:
    f.write("import torch\nfrom torch import nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            "        self.body = nn.Sequential(nn.Linear(12, 24), nn.ReLU(), nn.Linear(24, 4))\n\n    def forward(self, x):\n        return self.body(x)\n")
sys.path.insert(0, work)
import mynet  # noqa: E402

torch.manual_seed(0)
torch.save(mynet.Net().eval(), os.path.join(work, "net.pth"))
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 6))
joblib.dump(make_pipeline(StandardScaler(), LogisticRegression()).fit(X, (X[:, 0] > 0).astype(int)), os.path.join(work, "pipe.joblib"))
