/**
 * One stampede: `callers` concurrent getOrSet on one missing key, the factory
 * standing in for a database query of `factoryMs`. Resolves the factory calls,
 * the time until every caller had its value, and whether all got the same one.
 *
 * @param {(key: string, factory: () => Promise<unknown>) => Promise<unknown>} getOrSet
 * @param {{ key: string, callers: number, factoryMs: number }} options
 */
export async function burst(getOrSet, { key, callers, factoryMs }) {
  let factoryCalls = 0
  const factory = () => {
    factoryCalls++
    return new Promise((resolve) =>
      setTimeout(() => resolve({ key, loadedBy: process.pid }), factoryMs),
    )
  }
  const started = process.hrtime.bigint()
  const results = await Promise.all(Array.from({ length: callers }, () => getOrSet(key, factory)))
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  const answered = results.filter((value) => value?.key === key).length
  return { factoryCalls, ms, answered }
}
