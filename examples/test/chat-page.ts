/**
 * One chat page in a browser context of its own (as two people would be), and what the test reads
 * from it: the messages shown, the state, the worker, the close codes the page saw (`window.chat`),
 * and, over the DevTools protocol, the WebSocket handshakes the browser made.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Every wait on the page is bounded by this. */
export const WAIT_MS = 15_000;

export interface ShownMessage {
  from: string;
  text: string;
  mine: boolean;
}

/** A WebSocket handshake as Chromium saw it: the headers it sent and those it got back. */
export interface Handshake {
  request: Record<string, string>;
  response: Record<string, string>;
}

interface ChatGlobal {
  state: string;
  worker: number | null;
  closeCodes: number[];
}

/** The item of #messages the test reads. */
interface ShownItem {
  readonly dataset: Readonly<Record<string, string | undefined>>;
  readonly lastChild: { readonly textContent: string | null } | null;
  readonly classList: { contains(name: string): boolean };
}

/**
 * The page's globals, as the functions run in the page see them: typed here, since the examples
 * compile without lib "dom". Those functions are sent to the page as text, so they cast
 * `globalThis` inline rather than call a helper of this module.
 */
export interface PageGlobals {
  readonly chat: ChatGlobal;
  readonly document: { querySelectorAll(selector: string): Iterable<ShownItem> };
}

/** A header's value by name, in any case (CDP gives the names as they were sent). */
export function headerOf(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

export class ChatPage {
  /** Each handshake's request and response, in order (one per connect and reconnect). */
  readonly handshakes: Handshake[] = [];

  private constructor(
    readonly name: string,
    private readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  /** Opens the demo at `url` as `name` and waits until it is connected. */
  static async open(browser: Browser, url: string, name: string): Promise<ChatPage> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    const chat = new ChatPage(name, context, page);
    // Playwright's own websocket events carry no headers; the DevTools protocol's do.
    const cdp = await context.newCDPSession(page);
    const requests = new Map<string, Record<string, string>>();
    cdp.on('Network.webSocketWillSendHandshakeRequest', (event) => requests.set(event.requestId, event.request.headers));
    cdp.on('Network.webSocketHandshakeResponseReceived', (event) =>
      chat.handshakes.push({ request: requests.get(event.requestId) ?? {}, response: event.response.headers }),
    );
    await cdp.send('Network.enable');
    await page.goto(url);
    await page.fill('#name', name);
    await chat.waitConnected();
    return chat;
  }

  /** Waits until the page says it is connected and has heard which worker holds its socket. */
  async waitConnected(): Promise<void> {
    await this.page.waitForFunction(
      () => (globalThis as unknown as PageGlobals).chat.state === 'connected' && (globalThis as unknown as PageGlobals).chat.worker !== null,
      undefined,
      { timeout: WAIT_MS },
    );
  }

  /** Reloads the page (a fresh socket, likely on another worker) and waits until it is connected. */
  async reload(): Promise<void> {
    await this.page.reload();
    await this.page.fill('#name', this.name);
    await this.waitConnected();
  }

  worker(): Promise<number | null> {
    return this.page.evaluate(() => (globalThis as unknown as PageGlobals).chat.worker);
  }

  closeCodes(): Promise<number[]> {
    return this.page.evaluate(() => (globalThis as unknown as PageGlobals).chat.closeCodes);
  }

  /** The close codes as the page wrote them into `data-close-codes`. */
  async closeCodesAttribute(): Promise<string | null> {
    return this.page.getAttribute('body', 'data-close-codes');
  }

  /** Types `text` and presses Send, as a person would. */
  async send(text: string): Promise<void> {
    await this.page.fill('#text', text);
    await this.page.click('#send');
  }

  messages(): Promise<ShownMessage[]> {
    return this.page.evaluate(() =>
      [...(globalThis as unknown as PageGlobals).document.querySelectorAll('#messages li.message')].map((item) => ({
        from: item.dataset.from ?? '',
        text: item.lastChild?.textContent ?? '',
        mine: item.classList.contains('mine'),
      })),
    );
  }

  /** Waits until a message from `from` saying `text` is shown. */
  async waitForMessage(from: string, text: string): Promise<void> {
    await this.page.waitForFunction(
      ([from, text]) =>
        [...(globalThis as unknown as PageGlobals).document.querySelectorAll('#messages li.message')].some(
          (item) => item.dataset.from === from && item.lastChild?.textContent === text,
        ),
      [from, text] as const,
      { timeout: WAIT_MS },
    );
  }

  close(): Promise<void> {
    return this.context.close();
  }
}
