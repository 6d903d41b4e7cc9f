// The dashboard in a real browser (Debian's Chromium through playwright-core):
// an update on instance 1 makes instances 2 and 3 evict their L1 copies, and
// the page shows it. Every wait is on DOM state with a deadline.
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
    try {
      await updateAndWatchEviction(demo!.url)
    } catch (error) {
      // What the page and the demo showed, for whoever reads the failure.
      mkdirSync(join(packageDir, 'test-results'), { recursive: true })
      const picture = join(packageDir, 'test-results', 'dashboard-failure.png')
      await page.screenshot({ path: picture, fullPage: true }).catch(() => undefined)
      console.error(
        `[demo test] screenshot: ${picture}\n[demo test] the demo printed:\n${demo?.output()}`,
      )
      throw error
    }
  })

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
})
