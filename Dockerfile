# syntax=docker/dockerfile:1
# The TRM Directus image: upstream Directus 11.17.4, unchanged, plus the
# Go entrypoint that provisions the database before Directus starts, the
# db-init SQL, the committed schema snapshot and the extension bundle
# extensions/trm, built here.

# Static build of the entrypoint. GOWORK=off: the applications' module
# (the repository root, with replace directives to the libraries) is the
# whole build list; the test module (tests/) is never downloaded. The
# binary carries lib/directusctl/provision.mjs (go:embed), the script it
# runs with the image's Node to bootstrap, plan and apply in one process
# (docs/boot-provisioner.md): copying lib/ is what puts it in the image.
FROM golang:1.26-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
COPY lib/ lib/
COPY internal/ internal/
COPY cmd/ cmd/
RUN --mount=type=cache,target=/go/pkg/mod \
    GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/trm-entrypoint ./cmd/entrypoint

# The extension bundle, built with the Node major Directus 11.17.4 runs on
# and the bundle's own lockfile; only its manifest and dist/ ship.
FROM node:22-bookworm-slim AS extensions
WORKDIR /src/extensions/trm
COPY extensions/trm/package.json extensions/trm/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund --no-update-notifier
COPY extensions/trm/tsconfig.json ./
COPY extensions/trm/src/ src/
RUN npm run build && test -s dist/api.js

FROM directus/directus:11.17.4
COPY --from=build /out/trm-entrypoint /usr/local/bin/trm-entrypoint
COPY --chown=node:node db-init/ /directus/db-init/
COPY --chown=node:node snapshots/ /directus/snapshots/
COPY --chown=node:node access/ /directus/access/
COPY --from=extensions --chown=node:node /src/extensions/trm/package.json /directus/extensions/trm/package.json
COPY --from=extensions --chown=node:node /src/extensions/trm/dist/ /directus/extensions/trm/dist/
ENV TRM_SNAPSHOT=/directus/snapshots/schema.yaml \
    TRM_DB_INIT_DIR=/directus/db-init \
    TRM_ACCESS_DIR=/directus/access \
    TRM_DIRECTUS_CLI=/directus/node_modules/@directus/api/dist/cli/run.js \
    TRM_DIRECTUS_DIR=/directus
# The entrypoint execs the upstream start command (pm2-runtime start
# ecosystem.config.cjs) once the database is provisioned, or after a full
# boot serves Directus from the process that provisioned (TRM_SERVE); the
# upstream CMD, which ran bootstrap itself, is cleared.
ENTRYPOINT ["/usr/local/bin/trm-entrypoint"]
CMD []
