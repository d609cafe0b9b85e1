#!/usr/bin/env bash
# The image's runtime file set, also runnable outside Docker to inspect or measure it:
#   bash scripts/deploy.sh <out-dir>
# builds every service (scripts/build.mjs) and deploys each into <out-dir>/<service>/ with
# package.json, dist/main.js (+ map) and node_modules holding its production dependencies
# only. The workspace packages are bundled into main.js and are devDependencies, so nothing
# of the workspace but the bundle ships. `--legacy`: pnpm 10's default deploy needs
# inject-workspace-packages, which would copy workspace packages into every consumer in
# development too; the apps have no workspace package among their production dependencies.
set -euo pipefail
out="${1:?usage: scripts/deploy.sh <out-dir>}"
cd "$(dirname "$0")/.."
node scripts/build.mjs billing orchestrator kie-dispatcher notifier bot-gateway provision
mkdir -p "$out"
for svc in billing orchestrator kie-dispatcher notifier bot-gateway; do
  rm -rf "${out:?}/$svc"
  pnpm --filter "@neurocards/$svc" deploy --legacy --prod "$out/$svc" >/dev/null
  # The provisioning Job's script rides along in every service (its node_modules hold the
  # @nats-io packages it imports): `node dist/provision-cli.js` from /app/apps/<service>.
  cp packages/platform/dist/provision-cli.js packages/platform/dist/provision-cli.js.map "$out/$svc/dist/"
  echo "deploy: $svc → $out/$svc"
done
