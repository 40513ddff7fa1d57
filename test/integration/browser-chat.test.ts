/**
 * The browser chat example (examples/browser-chat/) in headless Chromium, with @stomp/stompjs over the
 * broker's WebSocket port: two pages chat with each other and with a TCP client, each page is a session
 * process of its own, and a SIGKILL of one page's session leaves the other chatting while it reconnects.
 * Skipped where Debian's Chromium is not installed. With CHAT_SCREENSHOT=FILE it saves a screenshot
 * (docs/websocket-chat.png is made so).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import {
  connectStomp, isAlive, REPO_ROOT, sendConfirmed, subscribe, uniqueDest, useBroker, wsPort,
} from '../helpers/broker.js';
import { launchChromium, noChromium } from '../helpers/chromium.js';
import { startServing } from '../helpers/scripts.js';

/** Starts examples/browser-chat/serve.js on a free port. */
function serveChat(): Promise<{ url: string; stop(): void }> {
  return startServing(process.execPath, [path.join(REPO_ROOT, 'examples', 'browser-chat', 'serve.js'), '--port', '0']);
}

/** The session pid the page's status line shows (from CONNECTED's session header). */
async function connectedPid(page: Page): Promise<number> {
  await page.locator('#status[data-state="connected"]').waitFor({ timeout: 15_000 });
  const m = /session-(\d+)-\d+/.exec(await page.locator('#status').textContent() ?? '');
  assert.ok(m, 'the status names the session');
  return Number(m[1]);
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#say button');
}

/** Waits until the page's message list shows `text` from `from`. */
async function shows(page: Page, from: string, text: string): Promise<void> {
  await page.locator('#messages li', { hasText: text }).filter({ hasText: from }).first().waitFor({ timeout: 15_000 });
}

describe('browser chat over WebSocket in Chromium', { skip: noChromium }, () => {
  const ctx = useBroker({ args: ['--ws-port', '0'], producer: true });
  let browser: { context: BrowserContext; close(): Promise<void> };
  let chat: { url: string; stop(): void };
  before(async () => {
    chat = await serveChat();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    chat?.stop();
  });

  test('two pages and a TCP client chat; each page is a process; a killed one reconnects', async () => {
    const room = uniqueDest('topic', 'room').split('/').pop()!.replace(/[^\w-]/g, '');
    const page = async (name: string): Promise<Page> => {
      const p = await browser.context.newPage();
      await p.goto(`${chat.url}?broker=ws://127.0.0.1:${wsPort(ctx.broker)}/ws&room=${room}&name=${name}`);
      return p;
    };
    const alice = await page('alice');
    const bob = await page('bob');
    const [alicePid, bobPid] = [await connectedPid(alice), await connectedPid(bob)];
    assert.notEqual(alicePid, bobPid);
    for (const pid of [alicePid, bobPid]) assert.ok(pid !== ctx.broker.pid && isAlive(pid));

    const topic = `/topic/chat.${room}`;
    const tcp = await connectStomp(ctx.broker.port);
    await subscribe(tcp, topic, 'watch');
    await say(alice, 'hello from alice');
    await shows(bob, 'alice', 'hello from alice');
    await shows(alice, 'alice', 'hello from alice');
    const seen = await tcp.expectFrame('MESSAGE');
    assert.deepEqual(JSON.parse(seen.body.toString()), { from: 'alice', text: 'hello from alice' });
    assert.equal(seen.headers['content-type'], 'application/json');

    await sendConfirmed(ctx.producer, topic, JSON.stringify({ from: 'terminal', text: 'hi from a TCP client' }));
    await shows(alice, 'terminal', 'hi from a TCP client');
    await shows(bob, 'terminal', 'hi from a TCP client');
    await say(bob, 'bob here ✓');
    await shows(alice, 'bob', 'bob here ✓');

    if (process.env.CHAT_SCREENSHOT) await alice.locator('body').screenshot({ path: process.env.CHAT_SCREENSHOT });

    // Bob's session dies: his page reconnects (stompjs retries) to a new process; alice chats on.
    process.kill(bobPid, 'SIGKILL');
    await say(alice, 'still here');
    await shows(alice, 'alice', 'still here');
    const relayed = await tcp.expectFrames('MESSAGE', 3);
    assert.deepEqual(relayed.map((f) => JSON.parse(f.body.toString()).text), ['hi from a TCP client', 'bob here ✓', 'still here']);
    await bob.locator('#status[data-state="connected"]', { hasNotText: `session-${bobPid}-` }).waitFor({ timeout: 20_000 });
    const bobAgain = await connectedPid(bob);
    assert.notEqual(bobAgain, bobPid);
    await say(bob, 'back again');
    await shows(alice, 'bob', 'back again');
    await tcp.disconnect();
  });
});
