# syntax=docker/dockerfile:1
# One image for the webhook (default) and the metering proxy (`meter`). Node 24 runs the
# TypeScript sources directly (type stripping): no build step, no compiler in any stage, and the
# image runs the very files the tests ran. (The npm package ships JavaScript compiled at pack time,
# dist/, for Nodes that cannot strip types; bin/ picks the sources wherever they are present.)
ARG NODE_VERSION=24.21.0

# Production dependencies only; npm and its cache stay in this stage.
FROM node:${NODE_VERSION}-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Distroless: node and the app, no shell, no package manager, non-root by default (65532).
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
# What `explain` reads offline: the webhook configuration the manifests install.
COPY manifests/base/mutatingwebhookconfiguration.yaml ./manifests/base/
USER 65532:65532
EXPOSE 8443 9090
ENTRYPOINT ["/nodejs/bin/node", "bin/sidecar-patterns.js"]
# The webhook by default; the metrics sidecar runs the same image with `meter ...` as its args.
CMD ["serve"]
