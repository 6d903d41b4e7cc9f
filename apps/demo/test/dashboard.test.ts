// The dashboard in a real browser (Debian's Chromium through playwright-core):
// an update on instance 1 makes instances 2 and 3 evict their L1 copies, a tag
// invalidated on instance 1 makes every instance miss its entries, and the
// page shows both. Every wait is on DOM state with a deadline.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, ensureChromium } from './chromium.js'
import { type DemoRun, startDashboardDemo } from './demo-process.js'

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const DEADLINE = { timeout: 15_000 }

const chromiumLookup = ensureChromium()
if (chromiumLookup.skip !== undefined) {
  console.warn(`\n[demo test] SKIPPING the browser test: ${chromiumLookup.skip}\n`)
}

describe.skipIf(chromiumLookup.skip !== undefined)('the dashboard in Chromium', () => {
  let demo: (DemoRun & { url: string }) | undefined
  let context: BrowserContext | undefined
  let page: Page
  let profile: string | undefined

  beforeAll(async () => {
    demo = await startDashboardDemo()
    profile = mkdtempSync(join(tmpdir(), 'cacheplane-demo-chromium-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumLookup.path,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1600, height: 1000 },
    })
    page = await context.newPage()
  })

  afterAll(async () => {
    await context?.close().catch(() => undefined)
    await demo?.stop()
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true })
  })

  it('shows instances 2 and 3 evict an entry that instance 1 updates', async () => {
    await explainingFailure('dashboard-failure.png', () => updateAndWatchEviction(demo!.url))
  })

  it('shows every instance miss the entries of a tag that instance 1 invalidates', async () => {
    await explainingFailure('dashboard-tags-failure.png', invalidateTagAndWatchMisses)
  })

  /** Runs the steps; on failure, leaves what the page and the demo showed for whoever reads it. */
  async function explainingFailure(file: string, steps: () => Promise<void>) {
    try {
      await steps()
    } catch (error) {
      mkdirSync(join(packageDir, 'test-results'), { recursive: true })
      const picture = join(packageDir, 'test-results', file)
      await page.screenshot({ path: picture, fullPage: true }).catch(() => undefined)
      console.error(
        `[demo test] screenshot: ${picture}\n[demo test] the demo printed:\n${demo?.output()}`,
      )
      throw error
    }
  }

  async function updateAndWatchEviction(url: string) {
    await page.goto(url)
    const mode = await page.locator('#mode').getAttribute('data-mode', DEADLINE)
    console.log(`[demo test] the demo runs in mode "${mode}"`)
    await page.waitForFunction(
      () => document.querySelectorAll('[data-instance][data-backplane="up"]').length === 3,
      undefined,
      DEADLINE,
    )

    // Every instance reads every record: each L1 holds prices:1.
    await page.click('[data-global="read-all"]')
    for (const index of [1, 2, 3]) {
      await page.waitForSelector(
        `[data-instance="${index}"] tr[data-entry="prices:1"][data-state="fresh"]`,
        DEADLINE,
      )
    }
    // Once more: now from L1 everywhere (and the hit rates on the page move).
    await page.click('[data-global="read-all"]')
    await page.waitForFunction(
      () => /instance-3: 18 from L1/.test(document.querySelector('#status')?.textContent ?? ''),
      undefined,
      DEADLINE,
    )
    const versionBefore = Number(
      await page
        .locator('[data-instance="1"] tr[data-entry="prices:1"]')
        .getAttribute('data-version'),
    )

    await page.selectOption('#product', '1')
    await page.click('[data-instance="1"] button[data-action="update"]')

    // Instances 2 and 3 drop their copy; instance 1 holds the new version.
    for (const index of [2, 3]) {
      await page.waitForSelector(
        `[data-instance="${index}"] tr[data-entry="prices:1"][data-state="evicted"]`,
        DEADLINE,
      )
    }
    await page.waitForFunction(
      (before) => {
        const row = document.querySelector<HTMLElement>(
          '[data-instance="1"] tr[data-entry="prices:1"]',
        )
        return row?.dataset.state === 'fresh' && Number(row.dataset.version) > before
      },
      versionBefore,
      DEADLINE,
    )
    // The frame shows up decoded, with a propagation time for each receiver.
    const frame = page.locator('#frames tr[data-sender="instance-1"]', { hasText: 'prices:1' })
    await frame.first().waitFor(DEADLINE)
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('#frames tr[data-sender="instance-1"]')].some(
          (row) =>
            row.textContent?.includes('prices:1') &&
            /instance-2 \d+\.\d+ ms/.test(row.textContent) &&
            /instance-3 \d+\.\d+ ms/.test(row.textContent),
        ),
      undefined,
      DEADLINE,
    )
    const evictedText = await page
      .locator('[data-instance="2"] tr[data-entry="prices:1"]')
      .textContent()
    expect(evictedText).toContain('by a frame from instance-1')

    // A picture of that moment, for the README.
    mkdirSync(join(packageDir, 'test-results'), { recursive: true })
    const paths = [join(packageDir, 'test-results', 'dashboard.png')]
    const wanted = process.env.CACHEPLANE_DEMO_SCREENSHOT
    if (wanted) paths.push(resolve(packageDir, wanted))
    for (const path of paths) await page.screenshot({ path, fullPage: true })
  }

  async function invalidateTagAndWatchMisses() {
    // brand:acme tags products 1 and 2: their product, price and stock records.
    const acme = ['products', 'prices', 'stock'].flatMap((region) =>
      ['1', '2'].map((id) => `${region}:${id}`),
    )
    const row = (index: number, entry: string, state: string) =>
      `[data-instance="${index}"] tr[data-entry="${entry}"][data-state="${state}"]`
    await page.click('[data-global="read-all"]')
    for (const index of [1, 2, 3]) {
      for (const entry of acme) await page.waitForSelector(row(index, entry, 'fresh'), DEADLINE)
    }

    await page.selectOption('#tag', 'brand:acme')
    expect(await page.isDisabled('[data-global="invalidate-tags"]')).toBe(false)
    await page.click('[data-global="invalidate-tags"]')

    // Every instance still holds acme's entries, but knows they miss; the others stay fresh.
    for (const index of [1, 2, 3]) {
      for (const entry of acme) {
        await page.waitForSelector(row(index, entry, 'invalidated'), DEADLINE)
      }
      expect(await page.locator(row(index, 'prices:3', 'fresh')).count()).toBe(1)
    }
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('#frames tr[data-sender="instance-1"]')].some(
          (frame) =>
            frame.textContent?.includes('tags invalidated brand:acme') &&
            /instance-2 \d+\.\d+ ms/.test(frame.textContent) &&
            /instance-3 \d+\.\d+ ms/.test(frame.textContent),
        ),
      undefined,
      DEADLINE,
    )
    await page.screenshot({
      path: join(packageDir, 'test-results', 'dashboard-tags.png'),
      fullPage: true,
    })

    // The next reads: instance 1 loads acme's 6 records from the database, the others find
    // what it stored in L2; every other record is still an L1 hit everywhere.
    await page.click('[data-global="read-all"]')
    await page.waitForFunction(
      () =>
        (document.querySelector('#status')?.textContent ?? '').includes(
          'instance-1: 12 from L1, 0 from L2, 6 from the database; ' +
            'instance-2: 12 from L1, 6 from L2, 0 from the database; ' +
            'instance-3: 12 from L1, 6 from L2, 0 from the database',
        ),
      undefined,
      DEADLINE,
    )
  }
})
