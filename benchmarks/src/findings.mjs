// Causes and plans for the targets that are missed, from profiling (node
// --cpu-prof, Redis INFO commandstats, heap snapshots by --expose-gc runs) on
// 2026-11-22 against the packages as they were then (line numbers drift: the function names
// are the reference). The report prints a
// measure's text only while one of its targets is missed; update the text when
// a fix lands (file paths and lines are in packages/*).

const l1 = `### Why the L1 targets are missed, and the plan

Profiled with \`node --cpu-prof\` on a loop of peeks over 10k hot keys (47.5 ns a peek before
the store changed): 52% was the L1 store's \`get\` (promoting the entry in an LRU list on every
hit) and 31% core's \`peek\` with the handle's read inlined. A plain \`Map.get\` on the same keys is
1.6-1.7x faster than lru-cache's \`get\`.

**Done**: the memory handle no longer uses lru-cache (decision 0009). Its store is a \`Map\` from
key to slot plus typed arrays, and it evicts by CLOCK (second chance): a hit is one \`Map.get\` and
one byte written. Measured in one process (packages/memory/bench/handle-hit.mjs, \`/tmp\`-style
paired rounds): peek 0.43-0.47x (lru-cache) → 0.55-0.65x (own LRU) → 0.63-0.73x (CLOCK) of a raw
lru-cache \`get\`; \`await get\` 0.21x → 0.23-0.24x. The hit path also lost an \`instanceof\`.

- **peek** (goal 0.7x): a handle over a bare \`Map\` with no eviction at all scores 0.70-0.80x, so
  the store is now close to its floor. What remains is core's own work per hit
  (packages/core/src/cache.ts \`peek\`: the key check, \`coarseNow\`, the try/catch of
  \`readTop\`, \`usableTop\`'s expiry, generation and tag checks) ≈ 12-15 ns.
  **Plan**: a synchronous fast path that the memory handle declares (a \`lookup(key, now)\` without
  the try/catch, called only when the handle says so), so that the whole hit inlines.
- **await get** (goal 0.2x): peek plus the \`await\` of the entry's settled promise (≈ 55-60 ns on
  this machine). Met in one process; in the full run the peers' garbage makes the rounds noisier.
- **vs BentoCache** (goal 40x): BentoCache's L1 hit is ≈ 5-7 µs (it deserializes by default and
  goes through several async layers), so 40x needs cacheplane's awaited get at ≈ 125-170 ns: met
  in isolated runs, at the edge in the noisy full run.`

const l2 = `### Why the L2 targets are missed, and the plan

Redis \`INFO commandstats\` during 100k L2 gets at 50 in flight (10k keys, loopback), before the
batching change:

| command | calls | µs per call on the server | µs per key |
|---|---|---|---|
| raw GET | 100,000 | 0.66 | 0.66 |
| cacheplane get script (EVALSHA, 50 keys per call) | 2,000 | 255 | 5.1 |

**Done**: (1) the get script reads the entries of a call with one \`MGET\` and each bucket or
region generation once per call; (2) over ioredis, which writes each command at once, a call goes
out as soon as 16 gets of a slot wait (packages/redis-shared/src/get-batcher.ts,
\`GETS_PER_CALL\`), so several calls are in flight and the client decodes one while Redis runs the
next. Paired A/B runs: ioredis with no L1 0.91x → 1.29x (1.23-1.42), cold L1 0.69x → 1.07x;
node-redis keeps one call per turn (it writes a turn's commands in one socket write, and smaller
calls measured slower). (3) Fewer promises on core's L2 read path.

**Done since**: calls of 24 gets instead of 16 over ioredis (50 in flight: 3 calls, not 4), and a
standalone batch goes straight to one script call without an item per get: paired A/B runs
1.0-1.07x the gets/s, 5-10% less client CPU per get.

**What remains (cold L1)**: batch sizes are the same with and without an L1 (12.7 keys per call
over ioredis, 50 over node-redis, in \`INFO commandstats\`); what doubles is the client's CPU
per get, from about 4.8 µs (no L1) to 8-9 µs (cold L1), where a raw GET costs 8.5 µs (ioredis)
and 11 µs (node-redis). Where it goes:
- core's miss walk and the L1 fill (\`lookup\`, a read flight, \`walk\`, \`fill\`, the memory
  store's \`set\`): 2.1 µs per get against 0.75 µs with no L1, over an in-process source that
  answers at once (so 1.35 µs of it is the L1's);
- keeping the values: a caller that keeps every value it reads costs the no-L1 path 8% of its
  gets/s (139.6k → 128.3k, same run), because the values survive and get promoted; an L1 keeps
  them by definition;
- the rest is scheduling: with an L1, ioredis reads about 3.7 replies per socket read instead
  of 2, and the writes' time in profiles (\`writeUtf8String\`) nearly doubles at the same number
  of writes, which is the process being descheduled while Redis runs (2 vCPUs).

**Tried and dropped**: packing a call's keys into one argument (unpacked in Lua): 0.94x of the
current code with a cold L1 (5 paired runs), because the socket writes stay and the server pays
for the unpacking; Buffer arguments are no cheaper for ioredis. Corking ioredis's socket writes
until the end of the turn halved the writes but measured 0.66-1.06x: Redis then answers the
calls together and the overlap of several calls in flight is lost. node-redis with a capped call
per turn (the rest on the next turn): 0.77-1.04x.

**Plan**: the L1 fill is the lever: fewer promises and objects on the miss walk (the flight, its
placeholder promise, the lookup record), and keep bucket generations in one hash per slot group
so that one \`HMGET\` serves a call on the server (a stored-format change: a decision record
first).`

const propagation = `### Why the propagation p50 target is missed, and the plan

**Done** (decision 0011): a lone \`set\` is one round trip. The write script stores the entry and
then PUBLISHes its \`changed\` frame (packages/redis-shared/src/scripts/entry-scripts.ts
\`writePublishScript\`); the engine builds and numbers the frame, the script appends the version it
stored (packages/core/src/backplane/engine.ts \`writeAndPublish\`). Before, \`set\` wrote, waited
for the reply and published on the next turn: p50 3.96-4.01x (ioredis) and 3.21-3.29x
(node-redis) a raw PUBLISH over three full runs.

**What remains.** The round trip is now the floor's: "raw one script: SET + PUBLISH" above (a
two-line script) is 1.1-1.2x a raw PUBLISH. The rest is work on each leg, timed with
CLOCK_MONOTONIC in writer and reader (1,400 trials, medians, no other load;
benchmarks/tmp-style traces, µs after the writer's call):

| | raw PUBLISH | cacheplane's write script, sent by hand from a raw client | cacheplane \`set\` |
|---|---|---|---|
| command written to the socket | 10 | 23 | 67-86 |
| writer has its reply | 84-98 | 153-175 | 209-273 |
| reader has applied it | 85-116 | 179-211 | 279-287 |

- **The write script's server time**: 31 µs per call in \`INFO commandstats\`, against about
  3 µs for a script that only returns. Each \`redis.call\` costs 3-4 µs on this Redis 7.0 (\`TIME\`,
  \`GETRANGE\` of the old header, \`HGET\` of the generation, \`SET\`, \`HGET\` of the meta's horizon,
  \`PUBLISH\`), and defining the prelude's local functions costs about 3 µs per call. On 2 vCPUs
  shared by writer, Redis and a reader that polls on every turn, server time shows about twice
  in latency: the writer's socket write returns only after Redis has run the script (65 µs,
  against 20 µs for a PUBLISH).
- **Client work**: the writer spends 33 µs from \`cache.set\` to the socket write (core 6 µs,
  the handle's record encoding and call building 13 µs, ioredis' command building 14 µs); the
  reader spends 13.5 µs from the socket's data to the applied invalidation (a raw subscriber
  6 µs), measured in one process.

**Plan**: (1) fewer commands per write script: one \`HMGET\` for a meta's generation and horizon,
\`TIME\` only when a horizon is near (see the changesets); (2) Redis Functions (Redis 7+): library
functions are defined once by \`FUNCTION LOAD\` instead of on every call, which needs a decision
record because Redis 6 has no functions; (3) build the write call with fewer allocations in the
handle (record encoding, address, argument list).`

const memory = `### Why the memory target is missed, and the plan

cacheplane's L1 keeps one entry object per key. Measured with \`--expose-gc\`, 100k entries, same
keys and values (bytes per entry added by the cache):

| what the store holds | bytes/entry |
|---|---|
| the value itself (raw lru-cache) | 65 |
| the value itself (the memory handle's own CLOCK store, decision 0009) | 58 |
| a 9-field entry object like cacheplane's, tags array shared | 209 (cacheplane L1 measures ≈ 210) |
| the same with the three timestamps small integers instead of doubles | 161 |
| a 5-field entry (value, version, expiresAt, generation, shared policy) | 145 |

The store is no longer the problem (its own bookkeeping is below lru-cache's); the entry object is:
(packages/core/src/layers.ts \`localCopy\`) \`value, version, createdAt, expiresAt, staleUntil,
sliding, tags, tagVersion, generation, settled, localOnly\`, with three timestamps that V8 boxes
as heap numbers (≈ 16 bytes each), and after the first hit a settled promise (≈ 40 bytes). The goal
(≤ 1.1x, i.e. ≈ 6 bytes over lru-cache per entry) cannot be met with any object per entry.

**Plan**: keep the L1's per-entry metadata in the store's typed arrays (expiry and generation as
numbers per slot, the value in the slot) instead of an object per entry. That changes the handle
contract (the L1 would no longer return \`CacheEntry\` objects on the hit path): a decision record
first. Short of that, a compact entry (a shared, frozen policy object for grace, sliding and tags;
no \`createdAt\` in L1) brings ≈ 145 bytes, ≈ 2.2x.`

const backplane = `### Why a backplane target is missed, and the plan

The 100-in-flight ratio moves between ≈ 2x and ≈ 3.4x from run to run on this machine; the
1-in-flight one stays far above 3x. A CPU profile of four back-to-back cacheplane runs (50k
invalidations, 100 in flight) shows the first run at ≈ 137k/s and the fourth at ≈ 343k/s: the
JIT warm-up alone is worth 2x, which is why each system now gets an untimed warm-up run. Once
warm, the writer's \`set\` is the bottleneck, not Redis: GC ≈ 13%, the L1's lru-cache \`set\` ≈ 8%,
\`write\`/\`afterWrite\` ≈ 10% (packages/core/src/cache.ts \`write\`/\`afterWrite\`, lines 406-430: \`newEntry\`, then
\`{ ...entry, version }\`, then \`localCopy\` in layers.ts line 106: three entry objects per set),
\`PendingOperations.addKey\`/\`drain\` ≈ 6% and frame-size measuring ≈ 3.5%
(packages/core/src/backplane/pending-operations.ts, protocol/frame-size.ts).

**Plan:** one entry object per write (write the version into the entry the source returned it
for, and make the L1 copy only when its expiry must differ, i.e. while degraded); keep the pending
keys in one \`Map\` per kind and measure frame size incrementally as keys are added rather than
again when splitting; the intrusive LRU of the L1 plan also makes the L1 \`set\` cheaper.`

/** Printed with every run: the lock has no target to miss, but its price needs explaining. */
const fleetLock = ({ result }) => {
  const measured = (result.ratios ?? [])
    .map((item) => `${item.ratio.toFixed(2)}x (${item.client}, ${item.concurrency} in flight)`)
    .join(', ')
  return `### Where the lock's price comes from, and the plan

A locked miss runs at ${measured} of an unlocked one. Redis \`INFO commandstats\` over 2,000
sequential misses (both adapters alike):

| per miss | fleetLock off | fleetLock on |
|---|---|---|
| script calls (EVALSHA) | 2: read, write | 5: read, **acquire**, **read again**, write, **release** |
| round trips the caller waits for | 2 | 4 |
| µs per miss, 1 in flight | ≈ 380-500 | ≈ 740-790 |

On a miss, \`getOrSet\` (packages/core/src/get-or-set.ts \`loadOrCompute\`) reads the L2, then
\`acquireOrWait\` (packages/core/src/fleet-lock.ts) takes the lock in one script and, once it
holds it, reads the L2 again (\`readBelowTop\`: the value may have landed between the miss and the
lock); after the write, \`HeldLock.release\` sends a third script, not awaited. So a sequential
miss waits for two round trips more (0.5x would be round trips alone; the local work is shared),
and with 50 in flight Redis runs 5 scripts per miss instead of 2.

**Plan** (a contract change, worth a decision record):
1. One "get or lock" script: return the entry when the key holds one, else take the lock when it
   is free, else say who holds it. A locked miss then waits for as many round trips as an
   unlocked one (read-or-lock, write), ≈ 0.9x expected; waiters keep their backoff.
2. Release in the write: a write made under a lock deletes the lock in the same script
   (\`writeScript\` in packages/redis-shared/src/scripts/entry-scripts.ts, given the lock key and
   owner), dropping the fifth script; \`release\` stays for a factory that fails.
Hits never take the lock, so neither changes what a hit costs.`
}

export const findings = {
  l1: ({ missed }) => (missed ? l1 : undefined),
  l2: ({ missed }) => (missed ? l2 : undefined),
  propagation: ({ missed }) => (missed ? propagation : undefined),
  memory: ({ missed }) => (missed ? memory : undefined),
  backplane: ({ missed }) => (missed ? backplane : undefined),
  'fleet-lock': fleetLock,
}
