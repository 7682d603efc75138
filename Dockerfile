# The gateway image used by compose.yaml: built once, run as API nodes (`serve --no-runner`) or
# runners (`runner`). Bundles ship in the image (bundles/*.flow → /app/flows) so that every node
# loads the same ones.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production ABSTRACTGATEWAY_DATA_DIR=/data ABSTRACTGATEWAY_FLOWS_DIR=/app/flows
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY bundles/*.flow ./flows/
USER node
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
