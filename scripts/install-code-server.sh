#!/usr/bin/env bash
# Installs code-server (VS Code in the browser) for the end-to-end tests, offline but for npm:
# the @vscode/ripgrep postinstall would download ripgrep, so its cache is seeded from Debian's
# `rg`. Needs `apt-get install -y libkrb5-dev pkg-config ripgrep` first (.ci/run does that).
# Usage: scripts/install-code-server.sh [prefix]   (default: ~/.cache/tandem/code-server)
set -euo pipefail
version=4.100.3
prefix=${1:-${TANDEM_CODE_SERVER_PREFIX:-$HOME/.cache/tandem/code-server}}
bin="$prefix/node_modules/.bin/code-server"
if [ -x "$bin" ] && [ -d "$prefix/node_modules/code-server/lib/vscode/node_modules" ] &&
  XDG_CONFIG_HOME="$prefix/config" "$bin" --version 2>/dev/null | grep -q "^$version"; then
  echo "code-server $version is installed: $bin"
  exit 0
fi
rg=$(command -v rg) || { echo "ripgrep is missing: apt-get install -y ripgrep" >&2; exit 1; }
tmp=${TMPDIR:-/tmp}
cache="$tmp/vscode-ripgrep-cache-1.15.11"
stage=$(mktemp -d)
mkdir -p "$cache" "$stage/bin" "$prefix"
cp "$rg" "$stage/bin/rg"
tar -czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$stage/bin" rg
rm -rf "$stage"
cd "$prefix"
# npm 11 runs install scripts only for packages listed in allowScripts; code-server's postinstall
# installs VS Code's own modules, and argon2 builds its native part.
echo '{"private":true,"allowScripts":{"code-server":true,"argon2":true}}' >package.json
npm_config_unsafe_perm=true npm_config_yes=true \
  npm install --no-audit --no-fund --no-save "code-server@$version" >install.log 2>&1 ||
  { tail -30 install.log >&2; echo "code-server install failed (log: $prefix/install.log)" >&2; exit 1; }
XDG_CONFIG_HOME="$prefix/config" "$bin" --version | tail -1
echo "code-server installed: $bin"
