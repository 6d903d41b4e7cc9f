import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The shared Redis code and the ioredis adapter (for the interop test) are read
// from their sources, so that a change there is tested here without a build.
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

// CACHEPLANE_NODE_REDIS=/path/to/node_modules/redis runs the suite on another
// copy of node-redis (how 5.x was checked); the devDependency (6.x) otherwise.
const otherNodeRedis = process.env.CACHEPLANE_NODE_REDIS

export default defineConfig({
  resolve: {
    alias: {
      '@cacheplane/redis-shared': source('../redis-shared/src/index.ts'),
      '@cacheplane/ioredis': source('../ioredis/src/index.ts'),
      ...(otherNodeRedis === undefined ? {} : { redis: `${otherNodeRedis}/dist/index.js` }),
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
  },
})
