# Switchyard image: one build, two entry points (router by default, provider-sim via `command`).
#   docker build -t switchyard .
#   docker run --rm -e KAFKA_BROKERS=host.docker.internal:9092 switchyard
#   docker run --rm switchyard node dist/apps/provider-sim/src/main.js
# (Tip: a .dockerignore with node_modules, dist, .cache and .infra keeps the build context small.)

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
