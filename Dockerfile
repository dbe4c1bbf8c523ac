# brokerbench as an image: the CLI (workers, coordinator, reference broker) with its production
# dependencies, run as the unprivileged `node` user. Build where a Docker engine runs:
#   docker build -t <registry>/brokerbench:<tag> . && docker push <registry>/brokerbench:<tag>
# (Never built in brokerbench's own CI, which has no engine; Dockerfile.test.ts checks its structure.)

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds dist/, and the sources are not copied yet.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# DejaVu: the fonts the PNG charts are drawn with (reports/render.ts).
RUN apt-get update \
  && apt-get install -y --no-install-recommends fonts-dejavu-core \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# The sources stay beside dist/: the package root is found by its package.json and harness/ (the
# services' pom.xml files live there) and the built-in workloads by workloads/.
COPY --from=build /app /app
# Results land in the working directory (./results/<timestamp>/) unless --out says otherwise.
RUN mkdir /data && chown node:node /data
WORKDIR /data
USER node
ENTRYPOINT ["node", "/app/bin/brokerbench.js"]
CMD ["--help"]
