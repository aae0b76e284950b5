/**
 * A real browser over HTTP/2: Debian's Chromium loads a page with a stylesheet, a script and an
 * image from the net engine on TLS, trusting the test certificate by its key. The page and every
 * subresource must come over h2 (the browser's nextHopProtocol and the handler's httpVersion),
 * and the page must be what the server sent, its script run and its style applied.
 */
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import type { Handler } from '../../src/http/api.js';
import { startEngine, useEngineCleanup } from '../support/engines.js';
import { launchChromiumTrustingTestCert } from '../support/h2-browser.js';
import { requireBrowser } from '../static-clients/browser.js';

const FILES: Record<string, { type: string; body: string }> = {
  '/': {
    type: 'text/html; charset=utf-8',
    body: `<!doctype html><html><head><title>percore h2</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/style.css"><script src="/app.js" defer></script></head>
<body><h1 id="title">served over HTTP/2</h1><img id="dot" src="/dot.svg" alt="dot"><p id="out"></p></body></html>`,
  },
  '/style.css': { type: 'text/css', body: 'h1 { color: rgb(1, 2, 3); }' },
  '/app.js': { type: 'text/javascript', body: "document.getElementById('out').textContent = 'script ran';" },
  '/dot.svg': {
    type: 'image/svg+xml',
    body: '<svg xmlns="http://www.w3.org/2000/svg" width="7" height="5"><rect width="7" height="5"/></svg>',
  },
};

/** What the page shows, read in the page (a string: this package's types have no DOM). */
const PAGE_STATE = `(() => {
  const byId = (id) => document.getElementById(id);
  const protocols = {};
  for (const entry of performance.getEntries()) {
    if ('nextHopProtocol' in entry) protocols[new URL(entry.name).pathname] = entry.nextHopProtocol;
  }
  return {
    protocols,
    title: document.title,
    heading: byId('title').textContent,
    color: getComputedStyle(byId('title')).color,
    script: byId('out').textContent,
    image: [byId('dot').naturalWidth, byId('dot').naturalHeight],
  };
})()`;

describe('h2 clients: chromium', function () {
  this.timeout(60_000);
  let browser: Browser | null = null;
  before(function () {
    requireBrowser(this);
  });
  after(async function () {
    await browser?.close();
  });
  useEngineCleanup();

  it('loads a page and its subresources over h2, trusting the test certificate by its key', async function () {
    const seen: Array<[string, string]> = [];
    const handler: Handler = (req, res) => {
      seen.push([req.path, req.httpVersion]);
      const file = FILES[req.path];
      if (file === undefined) {
        res.status = 404;
        res.end();
        return;
      }
      res.setHeader('Content-Type', file.type);
      res.end(file.body);
    };
    const server = await startEngine('net-h2', handler);
    browser = await launchChromiumTrustingTestCert(30_000);
    const page = await browser.newPage();
    const response = await page.goto(`https://127.0.0.1:${server.port}/`, { waitUntil: 'load' });
    expect(response?.status()).to.equal(200);
    const loaded = (await page.evaluate(PAGE_STATE)) as Record<string, unknown>;
    expect(loaded).to.deep.equal({
      protocols: { '/': 'h2', '/style.css': 'h2', '/app.js': 'h2', '/dot.svg': 'h2' },
      title: 'percore h2',
      heading: 'served over HTTP/2',
      color: 'rgb(1, 2, 3)',
      script: 'script ran',
      image: [7, 5],
    });
    const served = new Map(seen);
    for (const path of Object.keys(FILES)) expect(served.get(path), path).to.equal('2.0');
    expect(
      seen.every(([, version]) => version === '2.0'),
      'every request over HTTP/2 (favicon included)',
    ).to.equal(true);
  });
});
