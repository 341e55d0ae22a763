# Switchyard image: one build, two entry points (router by default, provider-sim via `command`).
#   docker build -t switchyard .
#   docker run --rm -e SIM_HOST=0.0.0.0 -p 4010:4010 switchyard node dist/apps/provider-sim/src/main.js
#   docker run --rm -p 8080:8080 -e KAFKA_BROKERS=host.docker.internal:9092 \
#     -e SIM_URL=http://host.docker.internal:4010 switchyard
# The router reads ROUTING_TABLE (default config/routing.yaml, copied below; its providers point at
# SIM_URL) — mount your own table for real providers. docker-compose.yml wires all of it up.
# .dockerignore keeps node_modules, dist, .cache and .infra out of the build context.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
USER node
EXPOSE 8080 4010
CMD ["node", "--disable-warning=TimeoutNegativeWarning", "dist/apps/router/src/main.js"]
