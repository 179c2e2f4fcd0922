"""Runs a script into which an ONNX export for scikit-learn was inserted. Debian has no skl2onnx,
so the run stops at the inserted `from skl2onnx import to_onnx`: this reports, from the script's
frame at that moment, the line it stopped on, whether the model is fitted, and whether it predicts
as the file the script saved does (so the code runs after fit and save, never before).
Prints JSON. Usage: SCRIPT MODEL_VARIABLE SAVED_FILE FEATURES_VARIABLE"""
import json
import os
import runpy
import sys
import traceback

import joblib
import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

script, model_name, saved_file, features = sys.argv[1:5]
script = os.path.abspath(script)
try:
    runpy.run_path(script, run_name="__main__")
    print(json.dumps({"stopped": False}))
except ModuleNotFoundError as error:
    frame = [f for f, _ in traceback.walk_tb(error.__traceback__) if f.f_code.co_filename == script][-1]
    model = frame.f_locals[model_name]
    try:
        check_is_fitted(model)
        fitted = True
    except NotFittedError:
        fitted = False
    same = os.path.exists(saved_file) and bool(np.array_equal(joblib.load(saved_file).predict_proba(frame.f_locals[features]), model.predict_proba(frame.f_locals[features])))
    print(json.dumps({"stopped": True, "missing": error.name, "line": frame.f_lineno, "fitted": fitted, "same_as_saved": same}))
