#!/usr/bin/env bash
# Installs what `npm test` / `npm run demo` need on a fresh machine, or says exactly what is missing.
#   bash scripts/ensure-prerequisites.sh test|demo
# Debian packages (when we may install them: root, or passwordless sudo), npm packages
# (npm ci), and code-server (test/e2e/install-code-server.sh, cached in .vscode-test/; for tests also
# install-code-server-next.sh: VS Code 1.104 on Node 22).
set -euo pipefail
purpose=${1:-test}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# jupyter_server + ipykernel: local kernels; ripgrep: code-server's install and the file tools' tests
# (test/unit/fileTools.test.ts runs both it and @vscode/ripgrep's binary); libkrb5-dev: code-server's install;
# chromium: the end-to-end tests' browser.
packages=(python3-jupyter-server python3-ipykernel ripgrep libkrb5-dev)
# python3-onnx: the integration test that checks our ONNX reader against the onnx package;
# python3-torch: the one that checks the PyTorch reader against files torch writes (about 1.5 min to install);
# python3-sklearn: the scikit-learn pickle reader against files scikit-learn and joblib write, and Export;
# python3-pandas: the Kernels view's value previews of DataFrames in a real kernel (kernelValues.test.ts);
# jupyterhub: the kernels' tests against a real JupyterHub (its proxy is the npm configurable-http-proxy).
[ "$purpose" = test ] && packages+=(python3-onnx python3-torch python3-sklearn python3-pandas jupyterhub)
# python3-fastapi + python3-uvicorn: the generated FastAPI apps, run for real (fastapiServe.test.ts, serveLocally.test.ts, serving.e2e.ts).
[ "$purpose" = test ] && packages+=(python3-fastapi python3-uvicorn)
# python3-scipy: drift statistics checked against scipy (driftScipy.test.ts; also pulled in by python3-sklearn).
[ "$purpose" = test ] && packages+=(python3-scipy)
# python3-optuna: studies written by the real Optuna (studies.test.ts, the studies bench and e2e).
[ "$purpose" = test ] && packages+=(python3-optuna)
# openssh-server: the Slurm jobs' SSH transport against a real sshd the tests start on a loopback port
# (sshRunner.test.ts; on a machine with systemd Debian also enables its own: `systemctl disable --now ssh`);
# tcsh: a login shell that parses quotes unlike sh, for the remote command line's test (sshRemoteCommand.test.ts).
[ "$purpose" = test ] && packages+=(openssh-server tcsh)
# slurm-wlm + munge: the jobs tests' real single-node Slurm (test/support/slurm/start-slurm.sh, started by .ci/run).
[ "$purpose" = test ] && packages+=(slurm-wlm munge)
[ "$purpose" = test ] && packages+=(chromium)
# lz4: the reference LZ4 frame writer the Arrow LZ4_FRAME decoder is checked against (lz4Frame.test.ts).
[ "$purpose" = test ] && packages+=(lz4)

if command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo"; else
      echo "Missing Debian packages: ${missing[*]}" >&2
      echo "Install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
      exit 1
    fi
    echo "Installing Debian packages: ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
else
  echo "Not a Debian system: make sure you have ripgrep, Kerberos headers (for code-server), a Python with jupyter_server and ipykernel" >&2
  [ "$purpose" = test ] && echo "and Chromium for the end-to-end tests (set CHROMIUM_PATH if it is not /usr/bin/chromium)." >&2
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then echo "Node.js 20 or newer is needed (found $(node --version))." >&2; exit 1; fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash test/e2e/install-code-server.sh
# The MCP / chat model provider suite's VS Code 1.104 (code-server 4.104.0 on Node 22, both from npm).
if [ "$purpose" = test ]; then bash test/e2e/install-code-server-next.sh; fi
