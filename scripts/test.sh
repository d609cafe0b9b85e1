#!/usr/bin/env bash
# The test command: PostgreSQL + NATS up, dependencies from the lockfile, then typecheck,
# lint, unit/integration tests of every package and the end-to-end suite.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."
bash scripts/services.sh
bash scripts/ensure-pnpm.sh
pnpm install --frozen-lockfile
pnpm test
