/**
 * serveStatic in a real browser, on both engines: Debian's Chromium loads a page with CSS, JS
 * and images; a reload revalidates them (304 from the server); seeking in a <video> makes
 * Chromium ask for a byte range past the middle of the file (206). Status assertions use the
 * server's own view (its exchange observer); what the browser saw is kept for the messages.
 */
import { expect } from 'chai';
import { serveStatic } from '../../src/index.js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ENGINES } from '../support/engines.js';
import { eventually } from '../support/sockets.js';
import { within } from '../support/servers.js';
import { requireUws } from '../support/uws.js';
import { launchChromium, requireBrowser } from './browser.js';
import { startObserved, type ObservedServer, type SeenExchange } from './observed-server.js';
import { makeSite, type Site } from './site.js';

/** Every step waits at most this long (a page load, a wait for the DOM, a seek). */
const STEP_MS = 15_000;
/** The page: the site's root, which serveStatic answers with its index.html. */
const PAGE = '/';
const SUBRESOURCES = ['/style.css', '/app.js', '/images/red.png', '/images/blue.gif'];

// The scripts run in the page are strings: the test program is compiled without the DOM's types.
const TITLE_COLOR = "getComputedStyle(document.getElementById('title')).color";
const SCRIPT_RAN = "document.body.dataset.script === 'ran'";
/** Decodes an image and gives its natural size. */
const imageSize = (id: string): string =>
  `(async () => { const img = document.getElementById('${id}'); await img.decode(); return [img.naturalWidth, img.naturalHeight]; })()`;
const MEDIA_ERROR = "(player) => new Error('media error ' + player.error?.code + ': ' + player.error?.message)";
/** Waits for the player's metadata and gives its duration. */
const METADATA = `new Promise((resolve, reject) => {
  const player = document.getElementById('player');
  if (player.readyState >= HTMLMediaElement.HAVE_METADATA) return resolve(player.duration);
  player.addEventListener('loadedmetadata', () => resolve(player.duration), { once: true });
  player.addEventListener('error', () => reject((${MEDIA_ERROR})(player)), { once: true });
})`;
/** Seeks the player to `time` and gives where it landed once 'seeked' fires. */
const seekTo = (time: number): string => `new Promise((resolve, reject) => {
  const player = document.getElementById('player');
  player.addEventListener('seeked', () => resolve(player.currentTime), { once: true });
  player.addEventListener('error', () => reject((${MEDIA_ERROR})(player)), { once: true });
  player.currentTime = ${JSON.stringify(time)};
})`;

/** What the browser received, as playwright reports it. */
interface BrowserResponse {
  path: string;
  status: number;
}

function describeExchanges(exchanges: readonly SeenExchange[]): string {
  return exchanges
    .map((e) => {
      const fields = (['range', 'if-range', 'if-none-match', 'if-modified-since'] as const).filter((name) => e.headers[name] !== undefined);
      return `${e.method} ${e.target} ${fields.map((name) => `${name}: ${e.headers[name]}`).join(', ')} -> ${e.record.status} ${e.outcome}`;
    })
    .join('\n');
}

/** The first byte a `Range: bytes=N-...` asks for, or null for another form. */
function rangeStart(range: string | undefined): number | null {
  const match = /^bytes=(\d+)-\d*$/.exec(range ?? '');
  return match === null ? null : Number(match[1]);
}

for (const engine of ENGINES) {
  describe(`static-clients/browser: ${engine}`, function () {
    this.timeout(4 * STEP_MS);
    let site: Site | undefined;
    let server: ObservedServer | undefined;
    let browser: Browser | undefined;
    let context: BrowserContext | undefined;
    let responses: BrowserResponse[] = [];

    before(async function () {
      this.timeout(3 * STEP_MS);
      if (engine === 'uws') requireUws(this);
      requireBrowser(this);
      site = await makeSite();
      // serveStatic's default Cache-Control, 'public, max-age=0', makes a browser revalidate what
      // it reuses: without it Chromium's reload would validate only the page itself, and reuse the
      // subresources unasked while their heuristic freshness (RFC 9111 4.2.2) lasts.
      server = await startObserved(engine, serveStatic(site.root));
      browser = await launchChromium(2 * STEP_MS);
    });

    /** A fresh context (its own cache) and page for each test, recording what the browser got. */
    beforeEach(async function () {
      if (browser === undefined) return;
      context = await browser.newContext();
      context.setDefaultTimeout(STEP_MS);
      responses = [];
      context.on('response', (response) => {
        const url = new URL(response.url());
        responses.push({ path: url.pathname, status: response.status() });
      });
    });

    afterEach(async function () {
      await context?.close();
      context = undefined;
    });

    after(async function () {
      this.timeout(3 * STEP_MS);
      await browser?.close();
      await server?.close();
      await site?.remove();
    });

    async function openPage(path: string): Promise<Page> {
      const page = await context!.newPage();
      const response = await page.goto(`${server!.url}${path}`, { waitUntil: 'load', timeout: STEP_MS });
      expect(response?.status(), `the browser's status for ${path}`).to.equal(200);
      return page;
    }

    it('loads the page: the CSS applies, the script runs, the images decode', async function () {
      const from = server!.exchanges.length;
      const page = await openPage(PAGE);
      expect(await page.evaluate(TITLE_COLOR), 'the colour from style.css').to.equal('rgb(12, 34, 56)');
      await page.waitForFunction(SCRIPT_RAN, undefined, { timeout: STEP_MS });
      expect(await page.textContent('#status')).to.equal('JavaScript ran.');
      for (const id of ['png', 'gif']) {
        const size = await page.evaluate(imageSize(id));
        expect(size, `#${id} decoded`).to.deep.equal(id === 'png' ? [8, 6] : [3, 2]);
      }
      for (const path of [PAGE, ...SUBRESOURCES]) {
        const answered = server!.exchanges.slice(from).filter((exchange) => exchange.target === path);
        expect(answered, `the server's view of ${path}:\n${describeExchanges(server!.exchanges)}`).to.have.length(1);
        expect([answered[0]!.method, answered[0]!.outcome, answered[0]!.record.status]).to.deep.equal(['GET', 'ended', 200]);
        expect(
          responses.filter((response) => response.path === path).map((response) => response.status),
          `the browser's view of ${path}`,
        ).to.deep.equal([200]);
      }
      const types = await Promise.all(
        ['/style.css', '/app.js'].map((path) => page.evaluate(`fetch(${JSON.stringify(path)}).then((r) => r.headers.get('content-type'))`)),
      );
      expect(types[0]).to.match(/^text\/css/);
      expect(types[1]).to.match(/^(text|application)\/javascript/);
    });

    it('reload: the browser revalidates the CSS, JS and images, and the server answers 304 without a body', async function () {
      const from = server!.exchanges.length;
      const page = await openPage(PAGE);
      await page.waitForFunction(SCRIPT_RAN, undefined, { timeout: STEP_MS });
      const before = server!.exchanges.length;
      const loaded = server!.exchanges.slice(from);
      const first = new Map(SUBRESOURCES.map((path) => [path, loaded.filter((exchange) => exchange.target === path)]));
      for (const [path, answered] of first)
        expect(
          answered.map((e) => e.record.status),
          path,
        ).to.deep.equal([200]);

      await page.reload({ waitUntil: 'load', timeout: STEP_MS });
      await page.waitForFunction(SCRIPT_RAN, undefined, { timeout: STEP_MS });
      expect(await page.evaluate(TITLE_COLOR)).to.equal('rgb(12, 34, 56)');
      const reloaded = server!.exchanges.slice(before);
      const story = `the server's view of the reload:\n${describeExchanges(reloaded)}`;
      for (const path of SUBRESOURCES) {
        const answered = reloaded.filter((exchange) => exchange.target === path);
        expect(answered, `${path} asked again\n${story}`).to.have.length(1);
        const seen = answered[0]!;
        expect(seen.headers['if-none-match'] ?? seen.headers['if-modified-since'], `${path} asked conditionally\n${story}`).to.be.a('string');
        expect([seen.outcome, seen.record.status], `${path}\n${story}`).to.deep.equal(['ended', 304]);
        // A 304's bytes are its head alone: well under the 200 that carried the file.
        expect(seen.record.bytesOut, `${path}: bytes sent for the 304`).to.be.below(first.get(path)![0]!.record.bytesOut);
      }
      for (const id of ['png', 'gif']) {
        expect(await page.evaluate(imageSize(id)), `#${id} after the reload`).to.deep.equal(id === 'png' ? [8, 6] : [3, 2]);
      }
    });

    it('seeking in a <video> near the end: Chromium asks for a range past the middle and the server answers 206', async function () {
      const page = await openPage('/media.html');
      const duration = Number(await within(page.evaluate(METADATA), STEP_MS, 'the media metadata'));
      expect(duration, 'the tone is 600 s long').to.be.closeTo(600, 1);

      const target = duration * 0.9;
      const settled = Number(await within(page.evaluate(seekTo(target)), STEP_MS, 'the seek'));
      expect(settled, 'where the player landed').to.be.closeTo(target, 1);
      // Closing the page ends every media request still open, so each has its final status.
      await page.close();
      const media = (): SeenExchange[] => server!.exchangesFor(site!.media.path);
      await eventually(() => media().every((exchange) => exchange.outcome !== 'pending'), STEP_MS, 'the media requests to settle');

      const size = site!.media.bytes.length;
      const story = `the server's view of ${site!.media.path} (${size} bytes):\n${describeExchanges(media())}`;
      expect(
        media().every((exchange) => exchange.headers.range !== undefined),
        `every media request has a Range\n${story}`,
      ).to.equal(true);
      const far = media().filter((exchange) => (rangeStart(exchange.headers.range) ?? 0) > size / 2);
      expect(
        far.filter((exchange) => exchange.record.status === 206),
        `a range past the middle answered 206\n${story}`,
      ).to.not.have.length(0);
      for (const exchange of far) {
        // Chromium keeps the ranges it has read in its cache and revalidates them (max-age=0)
        // with a conditional range request: If-None-Match is evaluated before Range (RFC 9110
        // 13.2.2), so the bytes it holds get 304. Anything else asked for a range gets 206.
        const conditional = exchange.headers['if-none-match'] !== undefined || exchange.headers['if-modified-since'] !== undefined;
        expect(exchange.record.status, story).to.be.oneOf(conditional ? [206, 304] : [206]);
      }
    });
  });
}
