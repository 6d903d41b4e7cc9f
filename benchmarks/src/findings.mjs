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
  the store is close to its floor. **Done since**: the coarse clock (packages/core/src/clock.ts)
  keeps its reading in a \`const\` object instead of module-level \`let\`s, which V8 checks for the
  temporal dead zone on every read (peek's time x0.92-0.93 in paired runs), and the memory handle
  serves an entry fresh at the cache's clock reading without its own expiry checks (x0.97).
  **Tried and dropped**: the planned synchronous fast path declared by the handle (x0.997 for
  peek, x1.02 for get in paired runs): V8's inlining trace shows the whole hit (key check,
  \`coarseNow\`, \`readTop\` with its try/catch, the handle's and the store's \`get\`, the freshness
  checks) already inlined into the caller's loop; a split of \`peek\`/\`get\` into an inlined hit and
  an out-of-line rest: x0.99.
  **What is left**, measured by editing the built files: the key check (its removal: x0.92; it
  must stay, it guards every handle, third-party ones included), the clock's \`setTimeout\` identity
  check (x0.95; it keeps fake timers working); a hit stripped to one \`Map.get\`, the expiry check
  and \`coarseNow\` reaches x0.79, so core and the memory handle can gain at most about 20% more.
- **await get** (goal 0.2x): \`get\` allocates nothing on a hit (one settled promise per entry,
  reused) and has no await chain; its cost is peek plus the caller's \`await\` of a settled promise
  (≈ 55-60 ns on this machine, more when the machine is slow): 0.15-0.20x in today's full runs
  and 0.23x in one process, so the goal is met or missed by the state of the machine. Of its
  cost only peek's part can still shrink (above).
- **vs BentoCache** (goal 40x): BentoCache's L1 hit is ≈ 5-7 µs (it deserializes by default and
  goes through several async layers), so 40x needs cacheplane's awaited get at ≈ 125-170 ns:
  33-46x across today's full runs, the ratio following the await's cost above.`

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
(node-redis) a raw PUBLISH over three full runs; since, 2.9-3.6x and 2.3-2.7x over six runs of
this measure (the last in the table above). The write script also got cheaper: one \`HMGET\` per
meta for its generation and horizon, \`TIME\` only near a horizon, and the bookkeeping functions
made only when needed: about 36 → 26 µs of Redis time per call (SLOWLOG, interleaved A/B).

**What remains.** The round trip is now the floor's: "raw one script: SET + PUBLISH" above (a
two-line script) is 1.1-1.2x a raw PUBLISH. The rest is work on each leg, timed with
CLOCK_MONOTONIC in writer and reader (1,400 trials, medians, no other load, before the script
got cheaper; µs after the writer's call):

| | raw PUBLISH | cacheplane's write script, sent by hand from another client | cacheplane \`set\` |
|---|---|---|---|
| command written to the socket | 10 | 23 | 67-86 |
| writer has its reply | 84-98 | 153-175 | 209-273 |
| reader has applied it | 85-116 | 179-211 | 279-287 |

- **The write script's server time**: 31 µs per call in \`INFO commandstats\` then (26 µs now),
  against about 3 µs for a script that only returns: each \`redis.call\` costs 3-5 µs on this
  Redis 7.0, and the script needs three at least (\`GETRANGE\` of the old header for the version,
  \`HMGET\` of the generation, \`SET\`) plus the \`PUBLISH\`. On 2 vCPUs shared by writer, Redis
  and a reader that polls on every turn, the writer's socket write returns only after Redis has
  run the script (65 µs, against 20 µs for a PUBLISH). Adding 20-40 µs of pure Lua work to the
  two-line script adds about 40 µs to its p50.
- **Client work**: the writer spends 33 µs from \`cache.set\` to the socket write (core 6 µs,
  the handle's record encoding and call building 13 µs, ioredis' command building 14 µs); the
  reader spends 13.5 µs from the socket's data to the applied invalidation (a raw subscriber
  6 µs), measured in one process.

- **Where the rest goes**, split in one more run (writer kinds interleaved trial by trial, the
  reader process holding a raw subscriber and a cacheplane cache on the same channel; p50 µs
  from the writer's call to the raw subscriber's message):

  | writer sends | p50 |
  |---|---|
  | a two-line script (SET + PUBLISH) with cacheplane's arguments, from a raw client | 116-147 |
  | the same with 20 µs of Lua work added | 134-167 |
  | cacheplane's write-and-publish script, by hand, from the cache's own client | 145-165 |
  | \`cache.set\` | 184-306 |

  - **The writer's call path is the largest part**: interleaved with other work, \`cache.set\`
    reaches ioredis 42-75 µs after the call (core 19 µs, the Redis handle 23 µs: key address,
    record encoding, call building) and writes its command at 59-99 µs, where the same script sent
    by hand is written at 22 µs. In a tight loop of sets the same path takes 19 µs to ioredis: the
    write path's code is cold between writes, as it is in most applications.
  - **The script**: 20-30 µs over a two-line script, its server time (above).
  - **The reader**: its cache applies the frame 20-40 µs after a raw subscriber in the same
    process has the message (decode, sender check, eviction, the \`entrySet\` event).
  - **Not a cause**: the writer's own subscriber, which receives every frame the writer
    publishes (p50 123 vs 126 µs with and without it).

**Plan**: (1) a shorter write path per call: the \`changed\` frame of a key differs between two
writes only in its sequence number and version, so the engine can keep the encoded prefix of a
hot key and patch the number; the handle can cache a key's address; (2) Redis Functions (Redis
7+): library functions are made once by \`FUNCTION LOAD\` instead of on every call, which needs a
decision record because Redis 6 has none; (3) a cheaper receive path: look at the sender id and
epoch (fixed offsets) before decoding the rest of an own frame.`

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

The 100-in-flight ratio moves between ≈ 2.6x and ≈ 4.6x from run to run on this machine (2.62-3.91x
over ioredis and 2.64-4.59x over node-redis in the runs of 2026-11-22); the 1-in-flight one stays
far above 3x. A CPU profile of four back-to-back cacheplane runs (50k invalidations, 100 in
flight) showed the first run at ≈ 137k/s and the fourth at ≈ 343k/s: the JIT warm-up alone is
worth 2x, which is why each system gets an untimed warm-up run. Once warm, the writer's \`set\` is
the bottleneck, not Redis: GC ≈ 13%, the L1's \`set\` ≈ 8%, \`write\`/\`afterWrite\` ≈ 10%
(packages/core/src/write-path.ts: the entry, then its L1 copy in layers.ts \`localCopy\`),
\`PendingOperations.addKey\`/\`drain\` ≈ 6% and frame-size measuring ≈ 3.5%
(packages/core/src/backplane/pending-operations.ts, protocol/frame-size.ts). This measure's writer
and reader share an in-process source, so a lone set's publish from the write script (decision
0011) does not apply here.

**Plan:** build the L1 entry once, stamped with its generation, instead of an entry and then its
L1 copy on every write; keep the pending keys in one \`Map\` per kind and measure frame size incrementally as keys
are added rather than again when splitting.`

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
