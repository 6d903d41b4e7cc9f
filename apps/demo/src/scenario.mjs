// `npm run demo -- --scenario`: a scripted tour of the running fleet, told in
// the terminal with figures. Every wait is a bounded poll of the instances'
// state, never a fixed sleep. Resolves whether every check passed.
import { setTimeout as sleep } from 'node:timers/promises'
import { PRODUCT_IDS, REGIONS } from './catalog-database.mjs'
import { DashboardState, summarize } from './dashboard-state.mjs'

const PAUSE_SECONDS = 3
const DROP_SECONDS = 1

export async function runScenario({ backend, fleet, settings, say }) {
  const state = new DashboardState({ backend, instances: fleet.instances, settings })
  const tap = await backend.tap('catalog', {
    onFrame: (bytes) => state.onTapFrame(bytes),
    onStatus: (status) => state.onTapStatus(status),
  })
  const tour = new Tour({ state, fleet, say })
  const figures = {}
  try {
    say('')
    say('cacheplane scripted tour: a catalog service, 3 instances, each a memory L1 in front of')
    say(`a shared L2, kept consistent by the backplane. ${backend.description}.`)
    say(
      `Backplane: heartbeat every ${settings.heartbeatInterval} ms, timeout ${settings.heartbeatTimeout} ms, degradedTtl ${settings.degradedTtl} ms. The database takes 150 ms per load.`,
    )
    await tour.waitFor('every backplane up', () => tour.all((instance) => instance.up))

    await readsThroughLayers(tour, figures)
    await updatePropagates(tour, figures)
    await underLoad(tour, figures)
    await killedSubscribers(tour, figures, backend)
    await droppedFrames(tour, figures)
    await pausedRedis(tour, figures, backend)
    summary(tour, figures, state)
  } catch (error) {
    tour.check(false, `the tour stopped: ${error.message}`)
  } finally {
    await tap.close()
  }
  const failed = tour.checks.filter((check) => !check.ok)
  say('')
  say(
    failed.length === 0
      ? `${tour.checks.length} checks passed.`
      : `${failed.length} of ${tour.checks.length} checks FAILED:\n${failed.map((check) => `  ✗ ${check.text}`).join('\n')}`,
  )
  return failed.length === 0
}

/** The tour's helpers: HTTP calls to the instances, bounded waits, checks. */
class Tour {
  constructor({ state, fleet, say }) {
    this.state = state
    this.instances = fleet.instances
    this.say = say
    this.checks = []
  }

  section(title) {
    this.say(`\n== ${title}`)
  }

  check(ok, text) {
    this.checks.push({ ok, text })
    this.say(`  ${ok ? '✓' : '✗'} ${text}`)
  }

  async call(instance, method, path, body) {
    const response = await fetch(`${instance.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const result = await response.json()
    if (!response.ok) throw new Error(`${method} ${path} on ${instance.name}: ${result.error}`)
    return result
  }

  read(instance, region, id) {
    return this.call(instance, 'GET', `/${region}/${id}`)
  }

  update(instance, id) {
    return this.call(instance, 'PUT', `/products/${id}`, {})
  }

  /** Polls the instances until `condition()` is truthy; fails after `timeoutMs`. */
  async waitFor(what, condition, timeoutMs = 10_000) {
    const started = Date.now()
    for (;;) {
      await this.state.poll()
      const value = condition()
      if (value) return Date.now() - started
      if (Date.now() - started > timeoutMs) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      }
      await sleep(10)
    }
  }

  /** The latest polled view of instance `index` (1-based). */
  view(index) {
    const instance = this.state.instances[index - 1]
    const snapshot = instance.snapshot
    return {
      up: snapshot?.stats.backplane?.state === 'up',
      entry: (id) => snapshot?.entries.find((entry) => entry.id === id),
      stats: snapshot?.stats,
    }
  }

  all(predicate) {
    return this.instances.every((instance) => predicate(this.view(instance.index)))
  }

  /** Events of `name` an instance reported at or after `since` (Date.now()). */
  events(name, since, instance) {
    return this.state.events.filter(
      (event) =>
        event.name === name &&
        event.time >= since &&
        (instance === undefined || event.instance === instance.name),
    )
  }

  /** The newest frame that instance-N sent with a change of `region:key`. */
  frameChanging(sender, region, key) {
    const frames = [...this.state.frames.values()].reverse()
    return frames.find(
      (frame) =>
        frame.sender === sender.name &&
        frame.operations?.some(
          (operation) => operation.region === region && operation.keys?.includes(key),
        ),
    )
  }
}

const ms = (value) => (value === null || value === undefined ? 'n/a' : `${value.toFixed(2)} ms`)
const price = (read) => read.value.amount

async function readsThroughLayers(tour, figures) {
  const [one, two, three] = tour.instances
  tour.section('1. Reads walk the layers: database, then L2, then L1')
  const first = await tour.read(one, 'prices', '1')
  tour.say(
    `  instance-1 GET /prices/1 -> ${price(first)} EUR from ${first.source}, ${ms(first.ms)}`,
  )
  const second = await tour.read(two, 'prices', '1')
  tour.say(`  instance-2 GET /prices/1 -> from ${second.source}, ${ms(second.ms)}`)
  const third = await tour.read(three, 'prices', '1')
  tour.say(`  instance-3 GET /prices/1 -> from ${third.source}, ${ms(third.ms)}`)
  const again = await tour.read(two, 'prices', '1')
  tour.say(`  instance-2 GET /prices/1 -> from ${again.source}, ${ms(again.ms)}`)
  figures.layers = { database: first.ms, l2: second.ms, l1: again.ms }
  tour.check(
    first.source === 'database' &&
      second.source === 'L2' &&
      third.source === 'L2' &&
      again.source === 'L1',
    'one database load for the fleet; the other instances read L2, then their own L1',
  )
}

async function updatePropagates(tour, figures) {
  const [one, two, three] = tour.instances
  tour.section('2. An update on instance-1 evicts the copies in the other L1s')
  await tour.waitFor('prices:1 in every L1', () =>
    tour.all((view) => view.entry('prices:1')?.state === 'fresh'),
  )
  const before = tour.view(2).entry('prices:1').version
  const updated = await tour.update(one, '1')
  tour.say(
    `  instance-1 PUT /products/1 -> price ${updated.price.amount} EUR (database, then L2, then its L1; then one frame)`,
  )
  const waited = await tour.waitFor('instances 2 and 3 to evict prices:1', () =>
    [2, 3].every((index) => tour.view(index).entry('prices:1')?.state === 'evicted'),
  )
  const frame = tour.frameChanging(one, 'prices', '1')
  await tour.waitFor('the receivers of the frame', () =>
    ['instance-2', 'instance-3'].every((name) => frame?.receivers[name]?.latencyMs !== undefined),
  )
  const latencies = ['instance-2', 'instance-3'].map((name) => frame.receivers[name].latencyMs)
  tour.say(
    `  frame #${frame.sequence} from instance-1 (${describeOperations(frame.operations)}, ${frame.bytes} bytes)`,
  )
  tour.say(
    `  publish -> delivery: instance-2 ${ms(latencies[0])}, instance-3 ${ms(latencies[1])} (the dashboard saw both L1s empty ${waited} ms after the PUT returned)`,
  )
  figures.update = latencies
  const fresh2 = await tour.read(two, 'prices', '1')
  const fresh3 = await tour.read(three, 'prices', '1')
  tour.say(
    `  instance-2 GET /prices/1 -> ${price(fresh2)} EUR from ${fresh2.source}; instance-3 -> ${price(fresh3)} EUR from ${fresh3.source}`,
  )
  tour.check(
    price(fresh2) === updated.price.amount && price(fresh3) === updated.price.amount,
    `instances 2 and 3 evicted v${before} and now read the new price from L2`,
  )
}

async function underLoad(tour, figures) {
  tour.section('3. Under load: 600 reads spread over the fleet, with an update every 100 reads')
  const before = tour.state.instances.map((instance) => instance.snapshot.stats)
  let reads = 0
  const started = performance.now()
  for (let batch = 0; batch < 30; batch++) {
    await Promise.all(
      Array.from({ length: 20 }, (_, offset) => {
        reads++
        const instance = tour.instances[(batch + offset) % tour.instances.length]
        // Skewed towards a few hot products, as catalogs are.
        const id = PRODUCT_IDS[Math.floor(PRODUCT_IDS.length * Math.random() ** 2)]
        const region = REGIONS[offset % REGIONS.length]
        return tour.read(instance, region, id)
      }),
    )
    if (batch % 5 === 4) {
      const writer = tour.instances[batch % tour.instances.length]
      await tour.update(writer, PRODUCT_IDS[batch % PRODUCT_IDS.length])
    }
  }
  const elapsed = performance.now() - started
  await tour.state.poll()
  const after = tour.state.instances.map((instance) => instance.snapshot.stats)
  const delta = (pick) =>
    after.reduce((sum, stats, index) => sum + pick(stats) - pick(before[index]), 0)
  const l1Hits = delta((stats) => stats.handles[0].hits)
  const l1Misses = delta((stats) => stats.handles[0].misses)
  const l2Hits = delta((stats) => stats.handles[1].hits)
  const loads = delta((stats) => stats.factoryCalls)
  const rate = (l1Hits / (l1Hits + l1Misses)) * 100
  figures.load = { reads, l1Hits, l1Misses, l2Hits, loads, rate }
  tour.say(
    `  ${reads} reads in ${elapsed.toFixed(0)} ms (over HTTP): L1 ${l1Hits} hits / ${l1Misses} misses (${rate.toFixed(1)}% hit rate), L2 ${l2Hits} hits, ${loads} database loads`,
  )
  const invalidations = summarize(tour.state.latencies.invalidation)
  tour.say(
    `  propagation of the ${invalidations.count} deliveries so far: median ${ms(invalidations.medianMs)}, p95 ${ms(invalidations.p95Ms)}, max ${ms(invalidations.maxMs)}`,
  )
  tour.check(rate > 50, 'most reads are served by L1 despite the updates')
}

async function killedSubscribers(tour, figures, backend) {
  const [one, two, three] = tour.instances
  tour.section(`4. Fault: ${backend.faults.killSubscribers.label}`)
  await Promise.all(tour.instances.map((instance) => tour.read(instance, 'prices', '2')))
  const since = Date.now()
  const killed = await backend.killSubscribers()
  const updated = await tour.update(one, '2')
  tour.say(
    `  ${killed.killed} subscriber connections killed; right after, instance-1 updates product 2 -> ${updated.price.amount} EUR`,
  )
  const waited = await tour.waitFor('every instance to recover', () =>
    tour.instances.every(
      (instance) =>
        tour.events('backplaneRecovered', since, instance).length > 0 &&
        tour.view(instance.index).up,
    ),
  )
  const downtimes = tour.instances.map(
    (instance) => tour.events('backplaneRecovered', since, instance)[0].detail.downtimeMs,
  )
  const missed = tour.events('messagesMissed', since).length
  tour.say(
    `  back up within ${waited} ms; downtime per instance ${downtimes.map((value) => `${value} ms`).join(', ')}; ${missed} "messagesMissed" events (L1 marked stale on recovery)`,
  )
  figures.kill = { waited, downtimes }
  const reads = await Promise.all([tour.read(two, 'prices', '2'), tour.read(three, 'prices', '2')])
  tour.say(
    `  instance-2 GET /prices/2 -> ${price(reads[0])} EUR from ${reads[0].source}; instance-3 -> ${price(reads[1])} EUR from ${reads[1].source}`,
  )
  tour.check(
    reads.every((read) => price(read) === updated.price.amount),
    'after the reconnect no instance serves the old price from its L1',
  )
}

async function droppedFrames(tour, figures) {
  const [one, , three] = tour.instances
  tour.section(`5. Fault: instance-3 drops every incoming frame for ${DROP_SECONDS} s`)
  await tour.read(three, 'prices', '3')
  const stepStarted = Date.now()
  const dropping = await tour.call(three, 'POST', '/_demo/drop', { seconds: DROP_SECONDS })
  const updated = await tour.update(one, '3')
  const during = await tour.read(three, 'prices', '3')
  tour.say(
    `  instance-1 updates product 3 -> ${updated.price.amount} EUR; the frame is lost on its way to instance-3`,
  )
  tour.say(
    `  during the drop, instance-3 GET /prices/3 -> ${price(during)} EUR from ${during.source}: at-most-once pub/sub, the window the heartbeats bound`,
  )
  await tour.waitFor(
    'instance-3 to notice the gap',
    () => tour.events('messagesMissed', stepStarted, three).length > 0,
  )
  const event = tour.events('messagesMissed', stepStarted, three)[0]
  const detectedAfter = event.time - dropping.droppingUntil
  tour.say(
    `  the next frame from instance-1 shows a sequence gap: "${event.detail.reason}", ${Math.max(0, detectedAfter)} ms after the drop ended; L1 marked stale`,
  )
  figures.drop = { detectedAfter: Math.max(0, detectedAfter), reason: event.detail.reason }
  const after = await tour.read(three, 'prices', '3')
  tour.say(`  instance-3 GET /prices/3 -> ${price(after)} EUR from ${after.source}`)
  tour.check(
    price(after) === updated.price.amount,
    'the lost frame is detected and the new price served',
  )
}

async function pausedRedis(tour, figures, backend) {
  const [, two] = tour.instances
  const pause = backend.faults.pause
  tour.section(`6. Fault: ${pause.label ?? 'pause Redis'} for ${PAUSE_SECONDS} s`)
  if (pause.disabled) {
    tour.say(`  skipped: ${pause.disabled}`)
    return
  }
  await Promise.all(tour.instances.map((instance) => tour.read(instance, 'prices', '4')))
  const started = Date.now()
  const { resumesAt } = await backend.pause(PAUSE_SECONDS)
  const detected = await tour.waitFor('every instance to go degraded', () =>
    tour.all((view) => !view.up),
  )
  tour.say(
    `  every instance degraded after ${detected} ms (L1 entries now live at most degradedTtl)`,
  )
  await tour.waitFor('every instance to recover', () => tour.all((view) => view.up), 20_000)
  const recovered = Date.now() - resumesAt
  tour.say(
    `  the fault ended after ${PAUSE_SECONDS} s; every backplane up again ${Math.max(0, recovered)} ms later, L1 marked stale`,
  )
  figures.pause = { detected, recovered: Math.max(0, recovered), total: Date.now() - started }
  const read = await tour.read(two, 'prices', '4')
  tour.say(`  instance-2 GET /prices/4 -> ${price(read)} EUR from ${read.source}`)
  tour.check(
    read.source !== 'L1',
    'after the outage nothing is served from the L1 copy kept before it',
  )
}

function summary(tour, figures, state) {
  const invalidations = summarize(state.latencies.invalidation)
  const heartbeats = summarize(state.latencies.heartbeat)
  tour.section('Figures')
  tour.say(
    `  read latency inside the service: database ${ms(figures.layers.database)}, L2 ${ms(figures.layers.l2)}, L1 ${ms(figures.layers.l1)}`,
  )
  tour.say(
    `  propagation, publish -> delivery on each other instance: ${invalidations.count} invalidations, median ${ms(invalidations.medianMs)}, p95 ${ms(invalidations.p95Ms)}, max ${ms(invalidations.maxMs)}; ${heartbeats.count} heartbeats, median ${ms(heartbeats.medianMs)}`,
  )
  const load = figures.load
  tour.say(
    `  hit rates under load: L1 ${load.rate.toFixed(1)}% (${load.l1Hits}/${load.l1Hits + load.l1Misses}), L2 ${load.l2Hits} hits, ${load.loads} database loads for ${load.reads} reads`,
  )
  tour.say(
    `  recovery: killed subscribers back in ${figures.kill.waited} ms; a dropped frame detected ${figures.drop.detectedAfter} ms after the drop ended (${figures.drop.reason})${
      figures.pause
        ? `; ${PAUSE_SECONDS} s outage: degraded after ${figures.pause.detected} ms, up ${figures.pause.recovered} ms after it ended`
        : ''
    }`,
  )
}

function describeOperations(operations = []) {
  return operations
    .map((operation) => {
      if (operation.kind === 'changed') {
        return `changed ${operation.region}:${operation.keys.map((key, index) => `${key} v${operation.versions[index]}`).join(',')}`
      }
      if (operation.keys) return `${operation.kind} ${operation.region}:${operation.keys.join(',')}`
      return operation.kind
    })
    .join('; ')
}
