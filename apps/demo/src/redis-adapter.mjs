/**
 * The ioredis adapter's `redisHandle` and `redisBackplane`, or an error that
 * says why they cannot be used (the package is not built, or too old).
 */
export async function redisAdapter() {
  let adapter
  try {
    adapter = await import('@cacheplane/ioredis')
  } catch (error) {
    throw new Error(
      `@cacheplane/ioredis could not be loaded (${error.message}); build it with \`pnpm --filter @cacheplane/ioredis build\``,
    )
  }
  if (typeof adapter.redisHandle !== 'function' || typeof adapter.redisBackplane !== 'function') {
    throw new Error('@cacheplane/ioredis does not export redisHandle and redisBackplane yet')
  }
  return adapter
}
