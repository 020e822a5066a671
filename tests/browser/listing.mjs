// The folder listing in a real browser: Debian's headless Chromium driven by playwright-core.
//
//   node tests/browser/listing.mjs URL OUTDIR
//
// URL is a listing of the folder tests/listing.rs builds (`docs/`, `empty/`, `a file.txt`,
// `zeta.bin`, names made of markup, ...). Two passes, each in a fresh profile: JavaScript on
// (a name turned into markup would fire a dialog) and off (the listing must work without
// it). Every entry must show, the markup-like names as text with no dialog fired, a click on
// a column header must sort, a click on a folder must navigate to its listing, and a phone
// screen must not scroll sideways. Screenshots (desktop, folder, phone) go to OUTDIR.
// Exits non-zero, with the reason, on the first failed check.

import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, outdir] = process.argv.slice(2);
if (!url || !outdir) {
  console.error('usage: node listing.mjs URL OUTDIR');
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });

let checks = 0;
function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
  checks += 1;
}

// A `/` cannot be in a Unix file name, so `<script>alert(1)</script>.txt` cannot exist: the
// script tag stays unclosed, and an `<img onerror>` name stands for markup that needs none.
const SCRIPT_NAME = '<script>alert(1)<script>.txt';
const IMG_NAME = '<img src=x onerror=alert(2)>.txt';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/// One pass over the listing in a fresh profile; `js`: JavaScript on in the page. With it
/// on, a name turned into markup would fire a dialog; with it off, everything must still
/// work (the page has no script to need).
async function pass(js) {
  const label = js ? 'js' : 'nojs';
  const profile = mkdtempSync(join(tmpdir(), 'methodical-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    javaScriptEnabled: js,
    viewport: { width: 1000, height: 700 },
    // Playwright passes `profile` as --user-data-dir: a fresh one per pass.
    args: ARGS,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const dialogs = [];
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    const names = async () => (await page.locator('tbody td.name a').allTextContents()).map((t) => t.trim());

    const resp = await page.goto(url, { waitUntil: 'load' });
    check(resp && resp.status() === 200, `${label}: the listing loads (status ${resp && resp.status()})`);
    check((await page.title()).startsWith('Index of'), `${label}: the title says what it is`);
    const shown = await names();
    for (const expected of ['docs/', 'empty/', 'a file.txt', SCRIPT_NAME, IMG_NAME, 'zeta.bin', 'ünïcode.txt']) {
      check(shown.includes(expected), `${label}: "${expected}" is listed (got ${JSON.stringify(shown)})`);
    }
    check(!shown.some((n) => n.includes('.methodical-')), `${label}: internal files are not listed`);
    check(
      shown.indexOf('docs/') < shown.indexOf('a file.txt') && shown.indexOf('empty/') < shown.indexOf('a file.txt'),
      `${label}: folders first`,
    );
    check((await page.locator('script').count()) === 0, `${label}: no name became a script element`);
    check((await page.locator('img').count()) === 0, `${label}: no name became an image`);
    const scriptLink = page.locator('tbody td.name a', { hasText: SCRIPT_NAME });
    check((await scriptLink.count()) === 1, `${label}: the script-like name is one link, shown as text`);
    check(
      (await scriptLink.getAttribute('href')) === './%3Cscript%3Ealert%281%29%3Cscript%3E.txt',
      `${label}: its link is percent-encoded`,
    );
    await page.screenshot({ path: join(outdir, `listing-${label}.png`), fullPage: true });

    // Sorting by links: size, descending after the second click; folders stay first.
    await Promise.all([page.waitForURL(/sort=size&order=asc/), page.locator('th.size a').click()]);
    await Promise.all([page.waitForURL(/sort=size&order=desc/), page.locator('th.size a').click()]);
    const bySize = await names();
    const files = bySize.filter((n) => !n.endsWith('/'));
    check(files[0] === 'zeta.bin', `${label}: largest file first by size, descending (got ${JSON.stringify(files)})`);
    check(bySize[0].endsWith('/'), `${label}: folders still first`);
    check((await page.locator('th.size').getAttribute('aria-sort')) === 'descending', `${label}: the sorted column says so`);

    // A click on a folder navigates to its listing.
    await Promise.all([page.waitForURL(/\/docs\/$/), page.locator('tbody td.name a', { hasText: 'docs/' }).click()]);
    check(new URL(page.url()).pathname.endsWith('/docs/'), `${label}: navigated into docs/ (at ${page.url()})`);
    const inside = await names();
    check(inside.includes('guide.txt') && inside.includes('deeper/'), `${label}: the new listing shows docs/ (got ${JSON.stringify(inside)})`);
    check(inside[0].includes('Parent folder'), `${label}: a link up comes first`);
    check((await page.locator('nav.crumbs [aria-current="page"]').textContent()) === 'docs', `${label}: the breadcrumbs end at docs`);
    await page.screenshot({ path: join(outdir, `folder-${label}.png`), fullPage: true });

    // Back up through the breadcrumbs.
    await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/docs/')), page.locator('nav.crumbs a').last().click()]);
    check((await names()).includes(SCRIPT_NAME), `${label}: the breadcrumb leads back up`);

    // Readable on a phone: no sideways scrolling, text not shrunk.
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(url, { waitUntil: 'load' });
    const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    check(fits, `${label}: no horizontal scrolling at 375 px`);
    const fontSize = await page.locator('tbody td.name a').first().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    check(fontSize >= 14, `${label}: legible text on a phone (${fontSize}px)`);
    await page.screenshot({ path: join(outdir, `listing-phone-${label}.png`), fullPage: true });

    check(dialogs.length === 0, `${label}: no dialog fired (got ${JSON.stringify(dialogs)})`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

try {
  await pass(true);
  await pass(false);
  console.log(`listing in Chromium: ${checks} checks passed; screenshots in ${outdir}`);
} catch (e) {
  console.error(`listing in Chromium: ${e.message}`);
  process.exitCode = 1;
}
