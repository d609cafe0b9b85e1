# syntax=docker/dockerfile:1
# One image holding the five services as plain JavaScript; each Deployment picks its
# service with `workingDir: /app/apps/<service>` and `command: ["node", "dist/main.js"]`.
#   docker build -t neurocards .
#   docker run --rm -w /app/apps/billing -e DATABASE_URL=... -e NATS_URL=... neurocards node dist/main.js
# The deploy-time Jobs run from the same image (RUNBOOK.md §1):
#   node dist/provision-cli.js       streams, consumers and buckets (any service's directory; NATS admin)
#   node dist/main.js --migrate-only the service's migrations, then exit 0

# Build stage: every dependency (dev included), the esbuild bundles, then one
# `pnpm deploy --prod` per service (scripts/deploy.sh) into /out/<service>.
FROM node:20-bookworm-slim AS build
WORKDIR /src
RUN npm install -g pnpm@10.34.8
# `pnpm fetch` needs only the lockfile, so this layer survives source-only changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
# The patched dependencies (pnpm-workspace.yaml patchedDependencies) are part of the lockfile.
COPY patches ./patches
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile && bash scripts/deploy.sh /out

# Runtime: each /app/apps/<service> holds package.json, dist/main.js (+ source map) and
# node_modules with its production dependencies only — no sources, no TypeScript, no tsx,
# no devDependencies, no pnpm.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# Owned by root and read-only to the service's user: the code cannot be changed at run time.
COPY --from=build /out/ /app/apps/
# `node` is uid 1000 in the official image, the uid the k8s manifests require.
USER node
CMD ["node", "-e", "console.error('pick a service: -w /app/apps/<service> ... node dist/main.js'); process.exit(64)"]
