import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { check, type CheckResult } from '../harness/check/check.ts'
import { checkReport } from '../harness/reports/report-model.ts'
import { writeReports } from '../harness/reports/write-reports.ts'
import { NEW_SECRET_KEY } from './fixtures/transforms/change-project-key-secret.ts'
import { REPO_ROOT } from './support/processes.ts'
import { referenceApplication } from './support/reference-app.ts'
import { connectSharedServer } from './support/shared-server.ts'

/** Debian's chromium, driven by playwright-core: no browser download, the distribution's build. */
const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const INSTALL = 'run `bash scripts/install-chromium.sh` (apt-get install chromium)'
const ARTIFACTS = path.join(REPO_ROOT, 'tests', '.artifacts')
const SNAPSHOT = path.join(REPO_ROOT, 'snapshots', 'fresh_install.json')
const TRANSFORMS = path.join(REPO_ROOT, 'tests', 'fixtures', 'transforms')
/** The snapshot's project key, before the transform replaces its secret. */
const OLD_SECRET_KEY = 'd4d14d244f8e48788673116ca7646c93'
const PUBLIC_KEY = 'c1373be35a7944808c8bcfede8097df1'

/** The few browser globals the page scripts use (the project's types have no DOM library). */
interface BrowserGlobals {
  getComputedStyle(element: unknown): { backgroundColor: string }
  scrollTo(x: number, y: number): void
}

const available = existsSync(CHROMIUM)
if (!available && !process.env.CI) {
  console.warn(`HTML report browser tests skipped: ${CHROMIUM} is missing; ${INSTALL}`)
}

// On CI a missing browser is a broken machine, not a reason to skip.
if (!available && process.env.CI) {
  describe('chromium on CI', () => {
    it('is installed', () => {
      throw new Error(`${CHROMIUM} is missing on CI: ${INSTALL}`)
    })
  })
}

describe.skipIf(!available)('the HTML report in a headless browser', () => {
  let result: CheckResult
  let file: string
  let profile: string
  let context: BrowserContext
  let page: Page
  const problems: string[] = []
  const requests: string[] = []

  beforeAll(async () => {
    const server = await connectSharedServer()
    try {
      result = await check({
        application: await referenceApplication(),
        server,
        snapshots: [SNAPSHOT],
        transforms: [
          path.join(TRANSFORMS, 'rename-organization.ts'),
          path.join(TRANSFORMS, 'change-project-key-secret.ts'),
        ],
      })
    } finally {
      await server.dispose()
    }
    await mkdir(ARTIFACTS, { recursive: true })
    file = path.join(ARTIFACTS, 'check-report.html')
    await writeReports(checkReport(result), [file])

    // A fresh profile per run, so nothing a previous run cached or stored is seen.
    profile = await mkdtemp(path.join(os.tmpdir(), 'rt-chromium-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    })
    page = context.pages()[0] ?? (await context.newPage())
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        problems.push(`console ${message.type()}: ${message.text()}`)
    })
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`))
    page.on('request', (request) => requests.push(request.url()))
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })
  }, 120_000)

  afterAll(async () => {
    await context?.close()
    if (profile) await rm(profile, { recursive: true, force: true })
  })

  it('loads from a file:// URL without console errors and fetches nothing else', async () => {
    expect(result.checks[0]!.findings).toHaveLength(2)
    expect(problems).toEqual([])
    expect(requests).toEqual([pathToFileURL(file).href])
    expect(await page.title()).toBe('roundtrip check: FAIL (2 findings)')
  })

  it('shows the right finding count, and one card per finding', async () => {
    const findings = result.checks[0]!.findings
    expect(await page.locator('#finding-count').textContent()).toBe(String(findings.length))
    expect(await page.locator('[data-finding]').count()).toBe(findings.length)
    const kinds = await page.locator('[data-finding] .kind').allTextContents()
    expect(kinds).toEqual(findings.map((f) => f.kind))
  })

  it('shows secrets only shortened: in the page, its text and the file', async () => {
    const html = await readFile(file, 'utf8')
    const text = await page.locator('body').innerText()
    for (const secret of [OLD_SECRET_KEY, NEW_SECRET_KEY, PUBLIC_KEY]) {
      expect(html).not.toContain(secret)
      expect(text).not.toContain(secret)
      expect(await page.content()).not.toContain(secret)
    }
    const card = page.locator('[data-finding]', { hasText: 'sentry.projectkey' })
    const secretRow = card.locator('table.pair tbody tr', {
      has: page.locator('code', { hasText: /^secret_key$/ }),
    })
    expect(await secretRow.locator('td').allTextContents()).toEqual(['"d4d...c93"', '"012...def"'])
    expect(await secretRow.getAttribute('class')).toContain('named')
    const tags = await secretRow.locator('.tag').allTextContents()
    expect(tags).toEqual([
      'this finding',
      'changed',
      'scrubbed by HashObfuscatingComparator',
      'secret, shortened',
    ])
    const publicRow = card.locator('table.pair tbody tr', {
      has: page.locator('code', { hasText: /^public_key$/ }),
    })
    expect(await publicRow.locator('td').allTextContents()).toEqual(['"c13...df1"', '"c13...df1"'])
  })

  it('puts the rows side by side, changed fields highlighted and scrubbed ones labelled', async () => {
    const card = page.locator('[data-finding]', { hasText: 'sentry.organization' })
    const row = (field: string) =>
      card.locator('table.pair tbody tr', {
        has: page.locator('code', { hasText: new RegExp(`^${field}$`) }),
      })
    expect(await row('name').locator('td').allTextContents()).toEqual([
      '"Testing"',
      '"Renamed by transform"',
    ])
    expect(await row('name').getAttribute('class')).toBe('named changed')
    // A highlighted row really looks different from an unchanged one.
    const background = (field: string) =>
      row(field)
        .locator('td')
        .first()
        .evaluate(
          (td) => (globalThis as unknown as BrowserGlobals).getComputedStyle(td).backgroundColor,
        )
    expect(await background('name')).not.toBe(await background('status'))
    expect(await row('date_added').locator('.tag').allTextContents()).toEqual([
      'scrubbed by DatetimeEqualityComparator',
    ])
    expect(await row('status').getAttribute('class')).toBe('same')

    // The toggle hides the unchanged fields and keeps the others.
    await page.locator('#only-changed').check()
    expect(await row('status').isVisible()).toBe(false)
    expect(await row('name').isVisible()).toBe(true)
    expect(await row('date_added').isVisible()).toBe(true)
    await page.locator('#only-changed').uncheck()
    expect(await row('status').isVisible()).toBe(true)
  })

  it('summarises each model and links its findings', async () => {
    const models = page.locator('table.models tbody tr')
    expect(await models.count()).toBe(result.checks[0]!.counts.models.length)
    const failing = page.locator('table.models tbody tr.has-findings td.model')
    expect(await failing.allTextContents()).toEqual(['sentry.organization', 'sentry.projectkey'])
    await page.locator('table.models tbody tr.has-findings a').first().click()
    expect(new URL(page.url()).hash).toBe('#s1-f1')
  })

  it('writes a screenshot', async () => {
    const screenshot = path.join(ARTIFACTS, 'check-report.png')
    await rm(screenshot, { force: true })
    await page.evaluate(() => (globalThis as unknown as BrowserGlobals).scrollTo(0, 0))
    await page.screenshot({ path: screenshot, fullPage: true })
    const png = await readFile(screenshot)
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    )
    expect(png.length).toBeGreaterThan(10_000)
  })
})

// Kept out of the skip: the page must not depend on the browser to be written correctly.
describe('the HTML report file', () => {
  it('escapes everything from the data', async () => {
    const { formatHtmlReport } = await import('../harness/reports/html-report.ts')
    const html = formatHtmlReport({
      command: 'compare',
      passed: false,
      generatedAt: '2026-01-01T00:00:00.000Z',
      snapshots: [
        {
          name: '<left>.json → "right".json',
          left: '<left>.json',
          right: '"right".json',
          passed: false,
          findings: [
            {
              finding: {
                kind: 'UnequalJSON',
                on: { model: 'sentry.x', ordinal: 1 },
                left_pk: 1,
                right_pk: 1,
                reason: '<script>alert(1)</script> & \'"',
              },
              pair: {
                model: 'sentry.x',
                leftPk: 1,
                rightPk: 1,
                leftFound: true,
                rightFound: true,
                fields: [
                  {
                    name: '<b>',
                    left: '"</td><img src=x>"',
                    right: '"a&b"',
                    changed: true,
                    named: true,
                    shortened: false,
                  },
                ],
              },
            },
          ],
          stale: [],
          accepted: [],
          counts: { models: [], scrubbed: [] },
          rows: { left: 1, right: 1 },
        },
      ],
    })
    const body = html.slice(html.indexOf('<body>'), html.indexOf('<script>\n(function'))
    expect(body).not.toMatch(/<script>alert|<img src=x>|<b>|<left>/)
    expect(body).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#39;&#34;')
    expect(body).toContain('&#34;&#60;/td&#62;&#60;img src=x&#62;&#34;')
  })

  it('refers to nothing outside itself, and forbids fetching anything', async () => {
    const { formatHtmlReport } = await import('../harness/reports/html-report.ts')
    const html = formatHtmlReport({
      command: 'check',
      passed: true,
      generatedAt: 'now',
      snapshots: [],
    })
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:|\/\/)/)
    expect(html).not.toMatch(/<link\b|@import|url\(/)
    expect(html).toContain("default-src 'none'")
  })
})
