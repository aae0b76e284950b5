import { expect } from 'chai';
import WebSocket from 'ws';
import { serve, type ServeHandle } from '../../src/cluster/serve.js';
import type { PercoreError } from '../../src/errors.js';
import { runPublishThread } from '../fixtures/publish-thread.js';
import { alive, reapAll, startProcess, within } from '../support/processes.js';
import { requireUws } from '../support/uws.js';
import { ENGINES } from '../support/engines.js';

const app = new URL('../fixtures/ws-cluster-app.ts', import.meta.url).href;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(5);
  }
}

const clients = new Set<WebSocket>();

/** A WebSocket client that keeps what the server sends: its greeting, command replies, and news. */
class Client {
  pid = 0;
  readonly news: Array<{ text: string; isBinary: boolean }> = [];
  readonly replies: string[] = [];
  closedWith: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const text = data.toString();
      if (text.startsWith('news:')) this.news.push({ text, isBinary });
      else {
        const parsed = JSON.parse(text) as { pid?: number; ok?: string };
        if (parsed.pid !== undefined) this.pid = parsed.pid;
        if (parsed.ok !== undefined) this.replies.push(parsed.ok);
      }
    });
    ws.on('close', (code) => (this.closedWith = code));
    ws.on('error', () => {});
  }

  static async connect(url: string): Promise<Client> {
    const ws = new WebSocket(url);
    clients.add(ws);
    const client = new Client(ws);
    await within(new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)), 3000, 'the upgrade');
    await eventually(() => client.pid !== 0, 'the greeting');
    return client;
  }

  async command(command: Record<string, string>): Promise<void> {
    const before = this.replies.length;
    this.ws.send(JSON.stringify(command));
    await eventually(() => this.replies.length > before, `the reply to ${JSON.stringify(command)}`);
  }

  texts(): string[] {
    return this.news.map((item) => item.text);
  }
}

/**
 * Opens connections until at least `perWorker` clients sit on each of the cluster's workers
 * (the kernel spreads connections over the workers' SO_REUSEPORT sockets), bounded; closes the rest.
 */
async function clientsOnEveryWorker(url: string, pids: number[], perWorker: number): Promise<Map<number, Client[]>> {
  const byPid = new Map<number, Client[]>(pids.map((pid) => [pid, []]));
  const enough = () => [...byPid.values()].every((list) => list.length >= perWorker);
  for (let attempt = 0; attempt < 100 && !enough(); attempt++) {
    const client = await Client.connect(url);
    const list = byPid.get(client.pid);
    expect(list, `pid ${client.pid} is one of the workers`).to.not.equal(undefined);
    if (list!.length < perWorker) list!.push(client);
    else client.ws.terminate();
  }
  expect(enough(), 'clients landed on every worker').to.equal(true);
  return byPid;
}

for (const engine of ENGINES)
  describe(`serve: cluster-wide pub/sub (${engine})`, function () {
    this.timeout(30_000);
    before(function () {
      if (engine === 'uws') requireUws(this);
    });
    afterEach(() => {
      for (const ws of clients) ws.terminate();
      clients.clear();
      reapAll();
    });

    it('delivers a publish from a socket, a worker, the primary and a worker_thread to every worker’s subscribers, once', async () => {
      const { ready, child } = await startProcess(app, { env: { WORKERS: '2', ENGINE: engine } });
      const pids = ready.pids as number[];
      expect(pids).to.have.length(2);
      const byPid = await clientsOnEveryWorker(`ws://127.0.0.1:${ready.port as number}/ws`, pids, 2);
      const [a, local] = byPid.get(pids[0]!)!;
      const remote = byPid.get(pids[1]!)!;
      const everyone = [a!, local!, ...remote];
      const allHave = (text: string, who: Client[]) =>
        eventually(() => who.every((client) => client.texts().includes(text)), `every client to get ${text}`);

      // From a socket: ws.publish skips the sender (as uWS's does); the relay reaches the other worker.
      await a!.command({ publish: 'news:from-socket' });
      await allHave('news:from-socket', [local!, ...remote]);

      // From a worker, as bytes: the relay carries them as base64 and they arrive binary.
      await a!.command({ publishBinary: 'news:binary' });
      await allHave('news:binary', everyone);

      // From the primary.
      process.kill(child.pid!, 'SIGUSR2');
      await allHave('news:primary-1', everyone);

      // From a worker_thread inside a worker.
      await local!.command({ thread: 'news:from-thread' });
      await allHave('news:from-thread', everyone);

      // A last publish from the primary follows any duplicate down the same IPC channels: once it
      // is in, each client's news is complete.
      process.kill(child.pid!, 'SIGUSR2');
      await allHave('news:primary-2', everyone);
      expect(a!.texts()).to.deep.equal(['news:binary', 'news:primary-1', 'news:from-thread', 'news:primary-2']);
      for (const client of [local!, ...remote]) {
        expect(client.texts(), `client on ${client.pid}`).to.deep.equal([
          'news:from-socket',
          'news:binary',
          'news:primary-1',
          'news:from-thread',
          'news:primary-2',
        ]);
      }
      for (const client of everyone) {
        expect(client.news.map((item) => item.isBinary)).to.deep.equal(client.texts().map((text) => text === 'news:binary'));
      }
    });

    it('on SIGTERM closes every WebSocket with 1001, then the primary exits 0', async () => {
      const started = await startProcess(app, { env: { WORKERS: '2', ENGINE: engine } });
      const pids = started.ready.pids as number[];
      const byPid = await clientsOnEveryWorker(`ws://127.0.0.1:${started.ready.port as number}/ws`, pids, 1);
      const open = [...byPid.values()].flat();
      process.kill(started.child.pid!, 'SIGTERM');
      await eventually(() => open.every((client) => client.closedWith !== null), 'every socket to close');
      // RFC 6455 7.4.1: 1001, the server is going away.
      expect(open.map((client) => client.closedWith)).to.deep.equal(open.map(() => 1001));
      expect(await within(started.exit, 10_000, 'primary exit')).to.equal(0);
      for (const pid of pids) expect(alive(pid), `worker ${pid} gone`).to.equal(false);
    });

    describe('in one process', () => {
      let handle: ServeHandle | null = null;
      afterEach(async () => {
        await handle?.close();
        handle = null;
      });

      it('publishes from the handle and from a worker_thread, and closes with 1001', async () => {
        handle = await serve({
          engine,
          cluster: false,
          port: 0,
          handleSignals: false,
          websockets: { '/ws': { open: (socket) => void socket.subscribe('news') } },
        });
        const ws = new WebSocket(`ws://127.0.0.1:${handle.port}/ws`);
        clients.add(ws);
        const got: string[] = [];
        let closedWith = 0;
        ws.on('message', (data: Buffer) => got.push(data.toString()));
        ws.on('close', (code) => (closedWith = code));
        await within(new Promise((resolve) => ws.once('open', resolve)), 3000, 'the upgrade');
        await eventually(() => handle!.stats().connections === 1, 'the socket to open');

        handle.publish('news', 'from-handle');
        await eventually(() => got.includes('from-handle'), 'the handle’s publish');
        expect(await runPublishThread('news', 'from-thread')).to.equal(0);
        await eventually(() => got.includes('from-thread'), 'the thread’s publish');
        expect(got).to.deep.equal(['from-handle', 'from-thread']);

        expect(await handle.close()).to.equal(0);
        await eventually(() => closedWith !== 0, 'the close');
        expect(closedWith).to.equal(1001);
      });

      it('serves only WebSockets when no handler is given: plain HTTP gets 404', async () => {
        handle = await serve({ engine, cluster: false, port: 0, handleSignals: false, websockets: { '/ws': {} } });
        const response = await fetch(`${handle.url}/anything`);
        expect(response.status).to.equal(404);
        await response.arrayBuffer();
      });
    });
  });

// No uWS needed: these are refused before any server starts.
describe('serve: websockets options', () => {
  it('refuses, before any worker starts, a setting uWS would abort a worker for', async () => {
    await serve({ engine: 'uws', cluster: true, workers: 2, port: 0, handleSignals: false, websockets: { '/ws': { idleTimeout: 2 } } }).then(
      () => expect.fail('accepted idleTimeout: 2'),
      (error: PercoreError) => expect(error.code).to.equal('PERCORE_ERR_INVALID_OPTION'),
    );
  });
});
