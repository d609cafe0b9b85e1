#!/usr/bin/env bash
# Runs the whole product locally: NATS and PostgreSQL (local or embedded), the Telegram,
# KIE and OpenAI simulators and the five services. Prints the chat page's address.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."
bash scripts/ensure-pnpm.sh
# The KIE simulator renders each order's video from its photo with ffmpeg.
bash scripts/ensure-ffmpeg.sh || echo "ffmpeg unavailable; sandbox videos will be placeholders" >&2
pnpm install --frozen-lockfile
exec pnpm sandbox
