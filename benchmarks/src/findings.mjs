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

**What remains (cold L1)**: a CPU profile of cold-L1 gets over ioredis puts ≈ 11-22% of the
client's time in \`writeUtf8String\` (the native call that encodes and writes a command to the
socket: its cost follows the number of writes, not the bytes), ≈ 10% in GC, and ≈ 6% in core's
own miss path (\`walk\`, \`lookup\`, flights, the L1 fill). On the server the script costs
2.4-3 µs per key: reading the records (1.0-1.2), one \`HGET\` of the bucket's generation per
distinct bucket (0.5-0.7; Redis 7.0 cannot read many hashes in one command).

**Tried and dropped**: packing a call's keys into one argument (unpacked in Lua): 0.94x of the
current code with a cold L1 (5 paired runs), because the socket writes stay and the server pays
for the unpacking; Buffer arguments are no cheaper for ioredis.

**Plan**: fewer socket writes per get (cork ioredis's writes within a turn, or more gets per call
once calls overlap), and keep bucket generations in one hash per slot group so that one
\`HMGET\` serves a call (a stored-format change: a decision record first).`

const propagation = `### Why the propagation p50 target is missed, and the plan

cacheplane's \`set\` is two round trips by design (write the value to the L2, then publish on the
next turn), where the baseline is one PUBLISH. Timed alone (2,000 sequential calls, medians):
raw SET ≈ 110 µs, raw PUBLISH ≈ 70 µs, \`cache.set\` ≈ 175 µs; Redis \`INFO commandstats\` puts the
write script at **31.6 µs per call on the server** against 1.6 µs for SET and 0.85 µs for PUBLISH.
So the p50 is: set round trip + write script + one event-loop turn (the engine flushes on
\`setImmediate\`, packages/core/src/backplane/engine.ts \`scheduleFlush\`, line 326) + PUBLISH round
trip + decode and apply on the reader. Even "raw SET, then PUBLISH" is ≈ 1.3-1.5x raw PUBLISH, so
1.1x is out of reach while a write takes two round trips. The p99 ratio moved between 1.0x and
2.6x across four full runs here: with three busy processes (writer, reader, Redis) and other test
suites on 2 cores, the tail is mostly scheduling; read it from a run on a quiet machine.

**Plan:**
1. One round trip: publish the invalidation from inside the write script
   (packages/redis-shared/src/scripts/entry-scripts.ts \`writeScript\`, line 71): the client passes
   the channel and the encoded frame with a fixed-width (CBOR uint64, 9 bytes) version slot, the
   script patches the version it assigned (\`struct.pack\`) and calls \`PUBLISH\` after the \`SET\`.
   Redis runs the script atomically, so no reader can see the message before the value. The engine
   then counts the frame as sent (its sequence number is taken when the frame is built, so gap
   detection is unchanged). This needs a small contract addition (the source handle offering
   "write and publish" when it shares the Redis of the backplane): worth a decision record.
   Expected p50 ≈ raw PUBLISH + 30 µs of Lua, i.e. ≈ 1.1-1.3x; with item 2, under 1.1x.
2. Make the write script cheaper (31.6 µs): it calls \`TIME\` (\`serverMs\`) on every call, reads
   the old header with \`GETRANGE\`, reads the tokens with \`HGET\`, then writes twice (\`SET\` then
   \`SETRANGE\` of version and tokens, line 114) and extends the metas with more \`HGET\`/\`PEXPIRE\`.
   Splice version and tokens into the record string before one \`SET\`
   (\`string.sub(record, 1, 2) .. struct.pack('>ddd', ...) .. string.sub(record, 27)\`); call \`TIME\` and \`extendMetas\` only when the meta's horizon is close to expiry.
3. ~~Flush a lone invalidation on a microtask instead of \`setImmediate\`~~: tried (a microtask
   flush whenever no publish is in flight); two runs of the propagation measure showed no change
   beyond noise (p50 vs raw PUBLISH 3.9-4.3x ioredis, 3.3-3.5x node-redis), so it was dropped.`

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
