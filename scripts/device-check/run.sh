#!/bin/bash
# The GPU machine check, one call (prepare first: see prepare.ts). Runs the extension's Python jobs
# (optimize, export, quantize) with that machine's current torch, onnx, onnxruntime and scikit-learn,
# checks what they wrote with its onnxruntime, and captures nvidia-smi as the GPU status bar queries
# it. Everything lands in $OUT: log.txt, nvidia-smi.csv, and the ONNX files for our readers here.
set -u
D=.scratch/device
W=/tmp/mle-device-work
mkdir -p "$W" "$OUT"
cp examples/models/simple_cnn.onnx examples/models/simple_cnn.onnx.data "$W/"
{
  echo "== versions"
  python3 -c "import sys, torch, onnx, onnxruntime, sklearn; print(sys.version.split()[0], 'torch', torch.__version__, 'onnx', onnx.__version__, 'onnxruntime', onnxruntime.__version__, 'sklearn', sklearn.__version__)"
  python3 -c "import onnxconverter_common" 2>&1 | tail -1
  python3 -c "import skl2onnx" 2>&1 | tail -1
  echo "== models"
  python3 scripts/device-check/make_models.py "$W" 2>&1 | tail -5
  for job in "$D"/jobs/*.py; do
    name=$(basename "$job" .py)
    echo "== $name"
    spec=$(sed "s#WORK#$W#g" "$D/jobs/$name.json")
    (cd "$W" && timeout 120 python3 "$OLDPWD/$job" "$spec" 2>&1 | tail -8)
  done
  echo "== check"
  python3 scripts/device-check/check_outputs.py "$W" 2>&1 | tail -30
} > "$OUT/log.txt" 2>&1
nvidia-smi --query-gpu="$(cat "$D/nvidia-smi-fields.txt")" --format=csv,noheader,nounits > "$OUT/nvidia-smi.csv" 2>&1
for f in simple_cnn.int8.onnx simple_cnn.fp16.onnx net.onnx pipe.onnx; do [ -f "$W/$f" ] && cp "$W/$f" "$OUT/"; done
cat "$OUT/log.txt"
