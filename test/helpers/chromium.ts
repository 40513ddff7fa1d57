/**
 * Headless Chromium for the console tests, driven by playwright-core: Debian's /usr/bin/chromium
 * (`apt-get install chromium`; playwright's own browser downloads are not used), a fresh profile per
 * launch, nothing that reaches the network by itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Where Debian installs Chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** Why the console tests cannot run here, or false when they can. */
export const noChromium: string | false = fs.existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install chromium)`;

/** A browser with a fresh profile; `close` ends it and removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
