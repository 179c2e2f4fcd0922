#!/usr/bin/env bash
# Installs code-server (VS Code in the browser) into an ignored folder, offline-safe.
# Recipe and the reason for each step: ../shared/docs/testing-here.md.
# Idempotent: a finished install leaves a stamp and is reused.
set -euo pipefail
VERSION=4.100.3   # newest code-server that runs on Node 20
root=$(cd "$(dirname "$0")/../.." && pwd)
D="${CODE_SERVER_DIR:-$root/.vscode-test/code-server}"
stamp="$D/.installed-$VERSION"
if [ -f "$stamp" ]; then echo "code-server $VERSION already installed in $D"; exit 0; fi

for tool in rg; do
  command -v "$tool" >/dev/null || { echo "missing '$tool': apt-get install ripgrep" >&2; exit 1; }
done
[ -e /usr/include/krb5.h ] || [ -e /usr/include/gssapi/gssapi.h ] || { echo "missing Kerberos headers: apt-get install libkrb5-dev" >&2; exit 1; }

rm -rf "$D" && mkdir -p "$D"
npm install --prefix "$D" --ignore-scripts --no-audit --no-fund "code-server@$VERSION"
(
  cd "$D/node_modules/code-server/lib/vscode"
  npm install --omit=dev --ignore-scripts --no-audit --no-fund
  npm rebuild @vscode/spdlog kerberos native-watchdog
  npm_config_yes=true npm rebuild node-pty
  # its own post-install downloads ripgrep from the internet: use Debian's
  mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  ln -sfn node_modules node_modules.asar
  cd extensions && npm install --omit=dev --no-audit --no-fund
)
npm_config_build_from_source=true npm rebuild --prefix "$D" argon2
touch "$stamp"
echo "code-server $VERSION installed in $D"
