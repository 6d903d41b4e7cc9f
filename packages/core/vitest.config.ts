import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Core's multi-instance tests run on the memory package's handle and transport.
// The memory package depends on core, so core cannot depend on it back: the
// tests alias both packages to their sources, which also keeps one copy of core.
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    alias: {
      '@cacheplane/memory': source('../memory/src/index.ts'),
      '@cacheplane/core': source('./src/index.ts'),
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
  },
})
