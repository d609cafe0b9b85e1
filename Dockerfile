# One image for all five services; each Deployment picks its entry point.
FROM node:20-bookworm-slim
WORKDIR /app
RUN npm install -g pnpm@10.34.8
COPY . .
RUN pnpm install --frozen-lockfile --prod=false && chown -R 1000:1000 /app
USER 1000
