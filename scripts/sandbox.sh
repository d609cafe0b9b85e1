#!/usr/bin/env bash
# Runs the whole product locally: NATS and PostgreSQL (local or embedded), the Telegram,
# KIE and OpenAI simulators and the five services. Prints the chat page's address.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."
bash scripts/ensure-pnpm.sh
pnpm install --frozen-lockfile
exec pnpm sandbox
