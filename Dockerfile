# syntax=docker/dockerfile:1
# Node 24 LTS in both stages: native modules built in the first must load in the second. CI runs the
# whole suite on this major (.ci/node-lts-version); the README lists the supported versions.
# Build: compile TypeScript, then keep only production dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 falls back to building from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Run: the same command CI tests (node dist/cli.js serve), as the unprivileged node user.
FROM node:24-bookworm-slim
# INFRA_SYNC_IN_CONTAINER: never generate a development webhook secret here; refuse to start without a real one.
ENV NODE_ENV=production \
    INFRA_SYNC_IN_CONTAINER=true \
    HOST=0.0.0.0 \
    PORT=8080 \
    INFRA_SYNC_DATA=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY services ./services
COPY infra-template ./infra-template
COPY schemas ./schemas
COPY dashboard ./dashboard
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/cli.js", "serve"]
