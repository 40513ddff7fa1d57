/**
 * The web console's entry point (runs in the browser, loaded by the page at /): picks the page from
 * the URL's hash (#/, #/destination/NAME, #/session/ID) and refreshes it every two seconds while it
 * is shown. A failed refresh shows the API's message and the next one tries again.
 */
import { ApiError } from './api.js';
import { destinationPage } from './destination-page.js';
import { type ConsolePage, fill, h } from './dom.js';
import { overviewPage } from './overview-page.js';
import { sessionPage } from './session-page.js';

const POLL_MS = 2000;

/** The page the hash names. */
function pageOf(hash: string): ConsolePage {
  const dest = /^#\/destination\/(.+)$/.exec(hash);
  if (dest) {
    // A hand-typed hash may hold a stray '%' (not an escape): the name is then taken as written.
    let name = dest[1];
    try {
      name = decodeURIComponent(name);
    } catch {
      // URIError: keep it raw
    }
    return destinationPage(name);
  }
  const session = /^#\/session\/(\d+)$/.exec(hash);
  if (session) return sessionPage(Number(session[1]));
  return overviewPage();
}

let shown = 0;

/** Shows the page of the current hash and keeps refreshing it until the hash changes. */
async function show(): Promise<void> {
  const generation = ++shown;
  const page = pageOf(location.hash);
  const view = document.getElementById('view')!;
  const problem = document.getElementById('problem')!;
  fill(view, page.root);
  while (generation === shown) {
    try {
      await page.update();
      fill(problem);
      document.body.dataset.updated = String(Date.now());
    } catch (err) {
      fill(problem, h('span', {}, err instanceof ApiError ? `${err.status}: ${err.message}` : `broker unreachable (${String(err)})`));
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

window.addEventListener('hashchange', () => void show());
void show();
