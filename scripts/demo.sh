#!/usr/bin/env bash
# `npm run demo`: builds and packages the extension, installs it into code-server (VS Code in
# the browser) and opens a copy of examples/ in it. Prints the URL; Ctrl+C stops it.
#   PORT=8080 npm run demo        (loopback only; use an SSH tunnel to reach it from elsewhere)
#   DEMO_RESET=1 npm run demo     (start again from a fresh copy of examples/ and a fresh profile)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${PORT:-8080}
demo="$root/.vscode-test/demo"
code_server="${CODE_SERVER_DIR:-$root/.vscode-test/code-server}/node_modules/code-server/out/node/entry.js"

bash scripts/ensure-prerequisites.sh demo
npm run --silent package

[ -n "${DEMO_RESET:-}" ] && rm -rf "$demo"
mkdir -p "$demo/data/User"
# A copy, so trying things in the demo never changes the repository's sample.
[ -d "$demo/workspace" ] || cp -r examples "$demo/workspace"

# The Python that can start local kernels: the first on PATH with jupyter_server and ipykernel.
python=""
for candidate in python3 /usr/bin/python3 python; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import jupyter_server, ipykernel' 2>/dev/null; then
    python=$(command -v "$candidate"); break
  fi
done
node scripts/demo-settings.mjs "$demo/data/User/settings.json" "$python"

node "$code_server" --extensions-dir "$demo/extensions" --user-data-dir "$demo/data" \
  --install-extension dist/ml-engineer.vsix --force >/dev/null
echo
echo "ML Engineer demo: open http://127.0.0.1:$port/?folder=$demo/workspace"
echo "(Python for kernels: ${python:-none found with jupyter_server and ipykernel}; Ctrl+C stops the server)"
echo
exec node "$code_server" --bind-addr "127.0.0.1:$port" --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust --user-data-dir "$demo/data" --extensions-dir "$demo/extensions" "$demo/workspace"
