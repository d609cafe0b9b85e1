#!/usr/bin/env bash
# Installs the pnpm version pinned in package.json's packageManager with npm
# (corepack cannot verify pnpm's signature on a closed network).
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
  echo "installing pnpm@$want" >&2
  npm install -g "pnpm@$want" >/dev/null
fi
