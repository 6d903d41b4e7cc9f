import { readFileSync } from 'node:fs'
import { PRODUCT_IDS, REGIONS } from './catalog-database.mjs'
import { HttpError } from './http.mjs'

const seed = JSON.parse(readFileSync(new URL('./catalog-seed.json', import.meta.url), 'utf8'))
/**
 * Every record of a product (product, price, stock) carries its brand and
 * category as tags, so `invalidateTags(['brand:acme'])` drops all of acme's
 * records on every instance. Neither ever changes in this catalog, so the tags
 * are known before a record is loaded.
 */
const tagsOf = (id) => {
  const product = seed.products[id]
  return [`brand:${product.brand}`, `category:${product.category}`]
}

/**
 * The catalog application: what one instance does with its cache and the slow
 * database. Reads go through `getOrSet`; writes go to the database first, then
 * to the cache (`set` writes L2 and L1 here, and the backplane tells the other
 * instances to drop their L1 copies).
 */
export class CatalogService {
  /**
   * @param {{ cache: import('@cacheplane/core').Cache, l1: import('@cacheplane/memory').MemoryHandle, database: import('./catalog-database.mjs').CatalogDatabase, observer: import('./instance-observer.mjs').InstanceObserver }} options
   */
  constructor({ cache, l1, database, observer }) {
    this.cache = cache
    this.l1 = l1
    this.database = database
    this.observer = observer
    this.trafficTimer = undefined
    this.trafficReads = 0
  }

  /**
   * One record, with where it came from: `L1`, `L2` or `database` (the
   * factory ran). Timed inside the process, so HTTP costs are not counted.
   */
  async read(region, id) {
    checkRecord(region, id)
    const heldBefore = this.l1.peek(id, region)
    let loaded = false
    const started = performance.now()
    const value = await this.cache.getOrSet(
      id,
      () => {
        loaded = true
        return this.database.load(region, id)
      },
      { region, tags: tagsOf(id) },
    )
    const ms = performance.now() - started
    let source = 'L2'
    if (loaded) source = 'database'
    else if (heldBefore !== undefined && this.l1.peek(id, region) === heldBefore) source = 'L1'
    return { region, id, value, source, ms: Math.round(ms * 1000) / 1000 }
  }

  async readAll() {
    const reads = await Promise.all(
      REGIONS.flatMap((region) => PRODUCT_IDS.map((id) => this.read(region, id))),
    )
    const sources = { L1: 0, L2: 0, database: 0 }
    for (const read of reads) sources[read.source]++
    this.observer.note(
      `read all ${reads.length} records: ${sources.L1} from L1, ${sources.L2} from L2, ${sources.database} from the database`,
    )
    return { reads: reads.length, sources }
  }

  /**
   * A price change: the database first, then the product (its revision) and
   * its price in the cache. Both invalidations leave in one backplane frame.
   */
  async updateProduct(id, change = {}) {
    checkRecord('products', id)
    const result = await this.database.update((data) => {
      const product = data.products[id]
      const price = data.prices[id]
      const amount =
        typeof change.price === 'number' && change.price > 0
          ? Math.round(change.price * 100) / 100
          : nextPrice(price.amount)
      product.revision += 1
      price.amount = amount
      return { product, price }
    })
    const tags = tagsOf(id)
    await Promise.all([
      this.cache.set(id, result.product, { region: 'products', tags }),
      this.cache.set(id, result.price, { region: 'prices', tags }),
    ])
    this.observer.note(
      `updated product ${id}: revision ${result.product.revision}, price ${result.price.amount}`,
    )
    return result
  }

  /** Sells one unit: a stock change, written to the database, then to the cache. */
  async sell(id) {
    checkRecord('stock', id)
    const stock = await this.database.update((data) => {
      const record = data.stock[id]
      if (record.quantity <= 0) throw new HttpError(409, `product ${id} is out of stock`)
      record.quantity -= 1
      return record
    })
    await this.cache.set(id, stock, { region: 'stock', tags: tagsOf(id) })
    this.observer.note(`sold one of product ${id}: ${stock.quantity} left`)
    return stock
  }

  async clearRegion(region) {
    if (!REGIONS.includes(region)) throw new HttpError(400, `unknown region "${region}"`)
    await this.cache.clearRegion(region)
    this.observer.note(`cleared region "${region}" (every instance's L1 and the L2)`)
    return { region }
  }

  /** Whether this `@cacheplane/core` has `invalidateTags` (builds from before it do not): the dashboard disables its button otherwise. */
  get supportsTags() {
    return typeof this.cache.invalidateTags === 'function'
  }

  async invalidateTags(tags) {
    if (!this.supportsTags) {
      throw new HttpError(501, 'this version of @cacheplane/core has no invalidateTags yet')
    }
    await this.cache.invalidateTags(tags)
    this.observer.note(`invalidated tags ${tags.join(', ')}`)
    return { tags }
  }

  /** Background reads, skewed towards a few hot products, so that hit rates move. */
  setTraffic(readsPerSecond) {
    clearInterval(this.trafficTimer)
    this.trafficTimer = undefined
    if (!(readsPerSecond > 0)) return { traffic: 0 }
    const period = Math.max(5, Math.round(1000 / readsPerSecond))
    this.trafficTimer = setInterval(() => {
      const id = PRODUCT_IDS[Math.floor(PRODUCT_IDS.length * Math.random() ** 2)]
      const region = REGIONS[Math.floor(Math.random() * REGIONS.length)]
      this.trafficReads++
      this.read(region, id).catch(() => undefined)
    }, period)
    this.trafficTimer.unref()
    return { traffic: readsPerSecond }
  }
}

function checkRecord(region, id) {
  if (!REGIONS.includes(region)) throw new HttpError(404, `unknown region "${region}"`)
  if (!PRODUCT_IDS.includes(id)) throw new HttpError(404, `no product "${id}"`)
}

/** A new price a few percent away from the old one, never the same. */
function nextPrice(amount) {
  const step = Math.max(1, Math.round(amount * 0.05))
  return amount + (Math.random() < 0.5 && amount - step > 0 ? -step : step)
}
