#!/usr/bin/env bash
# The test command: PostgreSQL + NATS up, dependencies from the lockfile, then typecheck,
# lint, unit/integration tests of every package and the end-to-end suite, the browser tests
# (Chromium on the sandbox's chat page and control panel), then the chaos
# suite with two seeds (test/chaos/README.md: each run starts its own private PostgreSQL
# and NATS servers, injects crashes and outages, and prints its invariant report).
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."
bash scripts/services.sh
bash scripts/ensure-pnpm.sh
# The sandbox's video encoder and the browser the browser tests drive (Debian's packages).
bash scripts/ensure-ffmpeg.sh
command -v ffmpeg >/dev/null || { echo "ffmpeg is missing: the browser tests need the videos it renders" >&2; exit 1; }
bash scripts/ensure-chromium.sh
pnpm install --frozen-lockfile
pnpm test
pnpm test:browser
CHAOS_SEED=1 pnpm test:chaos
CHAOS_SEED=2 pnpm test:chaos
# The last lines: every test of this command, unit, e2e and chaos invariants, in one summary.
node scripts/test-summary.mjs --chaos 1,2
