import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { launchChromium, requireBrowser } from '../../packages/server/test/static-clients/browser.js';
import { requireUws } from '../../packages/server/test/support/uws.js';
import { ChatPage, headerOf, WAIT_MS, type PageGlobals } from './chat-page.js';
import { startChat, type RunningChat } from './chat-server.js';

/** Reloads `page` until its socket is on another worker than `other`'s, so a message must cross the primary. */
async function onAnotherWorker(page: ChatPage, other: ChatPage): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  const otherWorker = await other.worker();
  while ((await page.worker()) === otherWorker) {
    if (Date.now() > deadline) throw new Error(`every reload of ${page.name} landed on worker ${otherWorker}, ${other.name}'s`);
    await page.reload();
  }
}

/**
 * On uws a drain waits for the browser's idle keep-alive connection (the page's own HTTP requests)
 * until uWS's idle timeout or the grace runs out, about 10 s a worker by default: 2 s keeps each
 * roll and stop short. WebSockets are closed with 1001 at the drain's start either way.
 */
const CHAT_ARGS = ['--workers', '2', '--grace-ms', '2000'];

/** A says something and B shows it, then B answers and A shows it. */
async function exchange(a: ChatPage, b: ChatPage, fromA: string, fromB: string): Promise<void> {
  await a.send(fromA);
  await b.waitForMessage(a.name, fromA);
  await b.send(fromB);
  await a.waitForMessage(b.name, fromB);
}

for (const engine of ['net', 'uws'] as const) {
  describe(`examples/chat in Chromium (${engine} engine)`, function () {
    this.timeout(60_000);
    let browser: Browser | null = null;
    let chat: RunningChat | null = null;
    const pages: ChatPage[] = [];

    const open = async (name: string) => {
      const page = await ChatPage.open(browser!, `${chat!.url}/`, name);
      pages.push(page);
      return page;
    };

    before(async function () {
      requireBrowser(this);
      if (engine === 'uws') requireUws(this);
      browser = await launchChromium(WAIT_MS);
    });

    afterEach(async () => {
      // The pages first, so they don't reconnect to a server that is draining.
      await Promise.allSettled(pages.splice(0).map((page) => page.close()));
      const running = chat;
      chat = null;
      await running?.stop();
    });

    after(async () => {
      await browser?.close();
      browser = null;
    });

    it('relays a message from one page to the other across workers, and never echoes it back to its sender', async () => {
      chat = await startChat(['--engine', engine, ...CHAT_ARGS]);
      const a = await open('A');
      const b = await open('B');
      await onAnotherWorker(b, a);

      await exchange(a, b, 'hello from A', 'hello from B');
      // B's answer reached A after anything A's own worker could have sent A about "hello from A".
      const conversation = [
        { from: 'A', text: 'hello from A' },
        { from: 'B', text: 'hello from B' },
      ];
      expect(await a.messages()).to.deep.equal(conversation.map((message) => ({ ...message, mine: message.from === 'A' })));
      expect(await b.messages()).to.deep.equal(conversation.map((message) => ({ ...message, mine: message.from === 'B' })));

      // A third page shares a worker with A or B: it hears A as well as the other worker's page does.
      const c = await open('C');
      await a.send('hello all');
      await b.waitForMessage('A', 'hello all');
      await c.waitForMessage('A', 'hello all');
      expect(await chat.stop(), chat.output()).to.equal(0);
    });

    it('on SIGHUP (a rolling restart) every page sees 1001, reconnects to a fresh worker, and chats again', async () => {
      chat = await startChat(['--engine', engine, ...CHAT_ARGS]);
      const a = await open('A');
      const b = await open('B');
      const before = { a: await a.worker(), b: await b.worker() };
      expect(await a.closeCodes()).to.deep.equal([]);

      process.kill(chat.pid, 'SIGHUP');
      // Each page's socket closes when its worker's drain starts: one page may see 1001 twice, if it
      // reconnected to the other old worker before that one's turn.
      for (const page of [a, b])
        await page.page.waitForFunction(() => (globalThis as unknown as PageGlobals).chat.closeCodes.includes(1001), undefined, {
          timeout: WAIT_MS,
        });
      await chat.waitForOutput('rolling restart done', WAIT_MS);
      for (const page of [a, b]) {
        await page.waitConnected();
        expect((await page.closeCodesAttribute())!.split(','), 'data-close-codes').to.include('1001');
      }
      // Both old workers have drained: neither page can still be on its first one.
      expect(await a.worker()).to.not.equal(before.a);
      expect(await b.worker()).to.not.equal(before.b);

      await exchange(a, b, 'after the roll, from A', 'after the roll, from B');
      expect(await chat.stop(), chat.output()).to.equal(0);
    });

    it("accepts the browser's permessage-deflate offer (the route has compression: true), and messages flow", async () => {
      chat = await startChat(['--engine', engine, ...CHAT_ARGS]);
      const a = await open('A');
      const b = await open('B');
      for (const page of [a, b]) {
        expect(page.handshakes).to.have.length(1);
        const [{ request, response }] = page.handshakes as [(typeof page.handshakes)[0]];
        expect(headerOf(request, 'Sec-WebSocket-Extensions'), "Chromium's offer").to.include('permessage-deflate');
        expect(headerOf(response, 'Sec-WebSocket-Extensions'), 'the server accepted it').to.include('permessage-deflate');
      }
      await exchange(a, b, 'compressed hello from A', 'compressed hello from B');
    });

    it('with --no-compression it declines the offer (no Sec-WebSocket-Extensions in the answer), and messages flow', async () => {
      chat = await startChat(['--engine', engine, ...CHAT_ARGS, '--no-compression']);
      const a = await open('A');
      const b = await open('B');
      for (const page of [a, b]) {
        const [{ request, response }] = page.handshakes as [(typeof page.handshakes)[0]];
        expect(headerOf(request, 'Sec-WebSocket-Extensions'), "Chromium's offer").to.include('permessage-deflate');
        expect(headerOf(response, 'Sec-WebSocket-Extensions')).to.equal(undefined);
      }
      await exchange(a, b, 'plain hello from A', 'plain hello from B');
    });
  });
}
