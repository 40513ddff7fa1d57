/**
 * The web console in headless Chromium against a real broker: the numbers it shows are the API's,
 * a dead letter shows its failure history, and the "retry dead letters" and "close session" buttons
 * act. Skipped where Debian's Chromium is not installed. With CONSOLE_SCREENSHOT=FILE it also runs
 * some traffic and saves a screenshot of the front page (docs/console.png is made so).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { connectStomp, type RawClient, sendConfirmed, sessionPidOf, sleep, uniqueDest, useBroker } from '../helpers/broker.js';
import { launchChromium, noChromium } from '../helpers/chromium.js';
import { nackConfirmed, nextMessage, nextMessages, subscribeTo, text } from '../helpers/jobs.js';
import { call, destPath, managementUrl } from '../helpers/management.js';

/** The text of the `data-field` cell or value inside `scope`. */
async function field(page: Page, scope: string, key: string): Promise<string> {
  return (await page.locator(`${scope} [data-field="${key}"]`).first().textContent({ timeout: 10_000 }))?.trim() ?? '';
}

/** Waits until the console has refreshed after `since` (its body's data-updated moves on). */
async function refreshed(page: Page, since = Date.now()): Promise<void> {
  await page.waitForFunction((t) => Number(document.body.dataset.updated ?? 0) > t, since, { timeout: 10_000 });
}

describe('web console in Chromium', { skip: noChromium }, () => {
  const ctx = useBroker({ args: ['--http-port', '0'], producer: true });
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  before(async () => {
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  });
  after(async () => browser?.close());

  // The front page: destination and client rows agree with the API.
  test('the overview shows the API\'s numbers', async () => {
    const q = uniqueDest('queue', 'console');
    for (const b of ['a', 'b', 'c']) await sendConfirmed(ctx.producer, q, b);
    const worker = await connectStomp(ctx.broker.port, { login: 'console-worker' });
    await subscribeTo(worker, q, 'w', { ack: 'client-individual', 'prefetch-count': 1 });
    await nextMessage(worker);
    const api = managementUrl(ctx.broker);
    await page.goto(`${api}/#/`);
    const row = `tr[data-destination="${q}"]`;
    await page.locator(row).waitFor({ timeout: 10_000 });
    await refreshed(page);
    const d = (await call(api, destPath(q))).body;
    assert.equal(await field(page, row, 'depth'), String(d.depth));
    assert.equal(await field(page, row, 'consumers'), String(d.consumers));
    assert.equal(await field(page, row, 'inFlight'), String(d.inFlight));
    assert.deepEqual([d.depth, d.consumers, d.inFlight], [2, 1, 1]);
    const sessions = (await call(api, '/api/sessions?state=busy')).body.items;
    const mine = sessions.find((s: { pid: number }) => s.pid === sessionPidOf(worker));
    const sessionRow = `tr[data-session="${mine.id}"]`;
    assert.equal(await field(page, sessionRow, 'login'), 'console-worker');
    assert.equal(await field(page, sessionRow, 'pid'), String(mine.pid));
    const o = (await call(api, '/api/overview')).body;
    assert.equal(await field(page, '#summary', 'queues'), String(o.totals.queues));
    assert.equal(await page.locator('#chart svg.chart').count(), 1);
    await worker.disconnect();
  });

  // A dead letter with its history; the button moves it back and the consumer gets it.
  test('dead letters: history shown, "retry dead letters" delivers them', async () => {
    const q = uniqueDest('queue', 'retry');
    const dlq = q.replace('/queue/', '/queue/DLQ.');
    const worker = await connectStomp(ctx.broker.port);
    await subscribeTo(worker, q, 'w', { ack: 'client-individual' });
    await sendConfirmed(ctx.producer, q, 'resize 42.jpg');
    await nackConfirmed(worker, await nextMessage(worker), { requeue: 'false', message: 'not a JPEG' });
    const api = managementUrl(ctx.broker);
    await page.goto(`${api}/#/destination/${encodeURIComponent(dlq)}`);
    const card = page.locator('article.message.dead');
    await card.waitFor({ timeout: 10_000 });
    assert.equal(await card.locator('[data-field="reason"]').textContent(), 'not a JPEG');
    assert.match(await card.locator('ol.history li').first().textContent() ?? '', /not a JPEG/);
    assert.match(await card.locator('pre.body').textContent() ?? '', /resize 42\.jpg/);
    await refreshed(page);
    assert.equal(await field(page, '#numbers', 'depth'), String((await call(api, destPath(dlq))).body.depth));
    await page.locator('button[data-action="retry dead letters"]').click();
    await page.locator('#action-result', { hasText: 'moved 1 dead letters' }).waitFor({ timeout: 10_000 });
    const back = await nextMessage(worker);
    assert.equal(text(back), 'resize 42.jpg');
    assert.equal(back.headers['dead-letter-reason'], undefined);
    await worker.disconnect();
  });

  // A hand-typed hash with a '%' that starts no escape is the name as typed, not a script error.
  test('a destination hash that is no valid escape shows that name', async () => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${managementUrl(ctx.broker)}/#/destination/%ZZ`);
    await page.locator('h1', { hasText: '%ZZ' }).waitFor({ timeout: 10_000 });
    assert.deepEqual(errors, []);
  });

  // The session page's button: the client gets ERROR "closed by an operator".
  test('"close session" closes the client with an ERROR', async () => {
    const victim = await connectStomp(ctx.broker.port, { login: 'to-be-closed' });
    const api = managementUrl(ctx.broker);
    const sessions = (await call(api, '/api/sessions?state=busy')).body.items;
    const mine = sessions.find((s: { pid: number }) => s.pid === sessionPidOf(victim));
    await page.goto(`${api}/#/session/${mine.id}`);
    await page.locator('#numbers [data-field="login"]', { hasText: 'to-be-closed' }).waitFor({ timeout: 10_000 });
    assert.equal(await field(page, '#numbers', 'pid'), String(mine.pid));
    await page.locator('button[data-action="close session"]').click();
    const error = await victim.expectErrorAndClose();
    assert.equal(error.headers.message, 'closed by an operator');
    await page.locator('#action-result', { hasText: 'closed by an operator' }).waitFor({ timeout: 10_000 });
  });
});

describe('console screenshot', { skip: noChromium || (!process.env.CONSOLE_SCREENSHOT && 'set CONSOLE_SCREENSHOT=FILE') }, () => {
  const ctx = useBroker({ args: ['--http-port', '0'] });

  // Some traffic, and meanwhile a picture of the front page (after two refreshes: CPU shares need two readings).
  test('screenshot of the console', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const running = traffic(ctx.broker.port, 30_000);
      await sleep(25_000); // a chart worth looking at, not a wait for a condition
      await page.goto(`${managementUrl(ctx.broker)}/#/`);
      await refreshed(page);
      await refreshed(page);
      await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT!, fullPage: true });
      for (const c of await running) c.close();
    } finally {
      await browser.close();
    }
  });
});

/** A few queues with producers and workers for `ms`, and some dead letters, so the console has something to show. */
async function traffic(port: number, ms: number): Promise<RawClient[]> {
  const jobs = '/queue/thumbnails';
  const producer = await connectStomp(port, { login: 'uploader' });
  const worker = await connectStomp(port, { login: 'thumbnailer' });
  const auditor = await connectStomp(port, { login: 'auditor' });
  await subscribeTo(worker, jobs, 'w', { ack: 'client-individual', 'prefetch-count': 10 });
  await subscribeTo(auditor, '/topic/uploads', 'a');
  const deadline = Date.now() + ms;
  for (let i = 0; Date.now() < deadline; i++) {
    const burst = 5 + Math.round(4 * Math.sin(i / 6));
    for (let j = 0; j < burst; j++) await sendConfirmed(producer, jobs, JSON.stringify({ image: `img-${i}-${j}.jpg` }), { persistent: 'true' });
    await sendConfirmed(producer, '/topic/uploads', `batch ${i}`);
    for (const m of await nextMessages(worker, burst)) {
      const fail = i % 9 === 0; // now and then a job fails for good: a dead letter
      await worker.frame(fail ? 'NACK' : 'ACK', fail ? { id: m.headers.ack, requeue: 'false', message: 'not a JPEG' } : { id: m.headers.ack });
    }
    await sendConfirmed(producer, '/queue/audit', `batch ${i}`);
    await sleep(150);
  }
  return [producer, worker, auditor];
}
