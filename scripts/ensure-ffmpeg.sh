#!/usr/bin/env bash
# Installs ffmpeg (with ffprobe) from the distribution's packages when it is missing: the KIE
# simulator renders sandbox results with it (sandbox/src/kie/render.ts). Idempotent and quiet;
# without apt (or without root) it only says so: the simulator then serves its tiny placeholder.
set -euo pipefail
command -v ffmpeg >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing ffmpeg" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg) >/dev/null
else
  echo "ffmpeg not found and cannot install it here; sandbox videos will be placeholders" >&2
fi
