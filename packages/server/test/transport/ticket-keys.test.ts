import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { serve } from '../../src/cluster/serve.js';
import { resolveServeOptions } from '../../src/cluster/options.js';
import type { Engine } from '../../src/http/engine.js';
import type { Handler } from '../../src/http/api.js';
import { createServer } from '../../src/server.js';
import { codeOf } from '../support/errors.js';
import { alive, reapAll, startProcess, type Started } from '../support/processes.js';
import { hasOpenssl } from '../support/tls-cert.js';
import { makeCertificate, sClient, scratchFile, type NamedCertificate, type SClientRun } from './openssl-tools.js';

const app = new URL('../fixtures/tls-cluster-app.ts', import.meta.url).href;
const answerPid: Handler = (_req, res) => res.end(String(process.pid));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** s_client runs offering `session` until one lands on a worker `wanted` accepts (bounded); that run. */
async function landOn(port: number, session: string, wanted: (pid: number) => boolean, tries = 60): Promise<SClientRun> {
  for (let i = 0; i < tries; i++) {
    const run = await sClient(port, { sessIn: session });
    if (wanted(Number(run.body))) return run;
  }
  throw new Error(`no connection in ${tries} reached the worker wanted`);
}

/** A new session, saved to a file: the file and the pid of the worker that issued it. */
async function newSession(port: number): Promise<{ file: string; pid: number }> {
  const file = scratchFile('session.pem');
  const run = await sClient(port, { sessOut: file });
  expect(run.reused, 'a connection without a session to offer').to.equal(false);
  return { file, pid: Number(run.body) };
}

describe('TLS session ticket keys', function () {
  this.timeout(60_000);
  let cert: NamedCertificate;
  const engines: Engine[] = [];

  before(function () {
    if (!hasOpenssl()) this.skip();
    cert = makeCertificate('localhost', '127.0.0.1');
  });

  afterEach(async () => {
    reapAll();
    await Promise.all(engines.splice(0).map((engine) => engine.close({ graceMs: 0 })));
  });

  async function server(keys: Buffer | null, sessionIdContext?: string): Promise<number> {
    const engine = createServer({ handler: answerPid, transport: { tls: { key: cert.key, cert: cert.cert, sessionIdContext } } });
    engines.push(engine);
    if (keys !== null) engine.setTicketKeys!(keys);
    return (await engine.listen({ host: '127.0.0.1', port: 0 })).port;
  }

  describe('between two servers in one process', () => {
    it('a session resumes on another server with the same keys, and not on one with other keys', async () => {
      const keys = randomBytes(48);
      const [first, same, other] = [await server(keys), await server(keys), await server(randomBytes(48))];
      const { file } = await newSession(first);
      expect((await sClient(same, { sessIn: file })).reused, 'same keys').to.equal(true);
      expect((await sClient(other, { sessIn: file })).reused, 'other keys').to.equal(false);
    });

    it("without shared keys (node's own per server) a session does not resume on the other server", async () => {
      const [first, second] = [await server(null), await server(null)];
      const { file } = await newSession(first);
      expect((await sClient(first, { sessIn: file })).reused, 'on its own server').to.equal(true);
      expect((await sClient(second, { sessIn: file })).reused, 'on the other').to.equal(false);
    });
  });

  describe('serve({ cluster: false })', () => {
    it('rotateTicketKeys(): the old session no longer resumes, a new one does', async () => {
      const handle = await serve({
        handler: answerPid,
        port: 0,
        cluster: false,
        handleSignals: false,
        transport: { tls: { key: cert.key, cert: cert.cert } },
      });
      try {
        const old = await newSession(handle.port);
        expect((await sClient(handle.port, { sessIn: old.file })).reused, 'before the rotation').to.equal(true);
        expect(handle.rotateTicketKeys()).to.equal(true);
        expect((await sClient(handle.port, { sessIn: old.file })).reused, 'the old session after it').to.equal(false);
        const fresh = await newSession(handle.port);
        expect((await sClient(handle.port, { sessIn: fresh.file })).reused, 'a new session').to.equal(true);
      } finally {
        await handle.close();
      }
    });

    it("leaves the program's own transport.tls.ticketKeys alone: no rotation, and its keys serve", async () => {
      const keys = randomBytes(48);
      const handle = await serve({
        handler: answerPid,
        port: 0,
        cluster: false,
        handleSignals: false,
        tlsTicketRotationMs: 1,
        transport: { tls: { key: cert.key, cert: cert.cert, ticketKeys: keys } },
      });
      try {
        expect(handle.rotateTicketKeys()).to.equal(false);
        await sleep(20); // a 1 ms rotation would have run by now
        const { file } = await newSession(await server(keys));
        expect((await sClient(handle.port, { sessIn: file })).reused).to.equal(true);
      } finally {
        await handle.close();
      }
    });

    it('checks tlsTicketRotationMs: an integer from 0, default 12 h', () => {
      const options = { handler: answerPid };
      expect(resolveServeOptions(options).tlsTicketRotationMs).to.equal(12 * 60 * 60 * 1000);
      expect(resolveServeOptions({ ...options, tlsTicketRotationMs: 0 }).tlsTicketRotationMs).to.equal(0);
      for (const bad of [-1, 1.5, Number.NaN, '1000' as unknown as number, 2 ** 31]) {
        expect(
          codeOf(() => resolveServeOptions({ ...options, tlsTicketRotationMs: bad })),
          String(bad),
        ).to.equal('PERCORE_ERR_INVALID_OPTION');
      }
    });
  });

  describe('a cluster of two workers', () => {
    async function startCluster(env: Record<string, string> = {}): Promise<Started & { pids: number[]; port: number }> {
      const started = await startProcess(app, { env: { KEY_FILE: cert.keyFile, CERT_FILE: cert.certFile, WORKERS: '2', ...env } });
      return { ...started, pids: started.ready.pids as number[], port: started.ready.port as number };
    }

    it('a session issued by one worker resumes on the other', async () => {
      const cluster = await startCluster();
      const issued = await newSession(cluster.port);
      expect(cluster.pids).to.include(issued.pid);
      const elsewhere = await landOn(cluster.port, issued.file, (pid) => pid !== issued.pid);
      expect(cluster.pids).to.include(Number(elsewhere.body));
      expect(elsewhere.reused, elsewhere.output).to.equal(true);
    });

    it("with the program's own ticketKeys, every worker uses those", async () => {
      const keys = randomBytes(48);
      const cluster = await startCluster({ TICKET_KEYS: keys.toString('hex'), SESSION_ID_CONTEXT: 'ticket-keys-test' });
      const { file } = await newSession(await server(keys, 'ticket-keys-test'));
      for (const pid of cluster.pids) {
        const run = await landOn(cluster.port, file, (served) => served === pid);
        expect(run.reused, `on worker ${pid}`).to.equal(true);
      }
    });

    it('after a rotation the old session resumes on no worker, a new one resumes on every worker, and a replacement worker gets the current keys', async () => {
      const cluster = await startCluster({ TICKET_ROTATION_MS: '0' });
      const old = await newSession(cluster.port);
      for (const pid of cluster.pids) expect((await landOn(cluster.port, old.file, (served) => served === pid)).reused).to.equal(true);

      process.kill(cluster.child.pid!, 'SIGUSR2');
      // The keys travel over IPC: wait until a worker stops resuming the old session, then ask every worker.
      let stale = true;
      for (let i = 0; i < 100 && stale; i++) {
        stale = (await sClient(cluster.port, { sessIn: old.file })).reused;
        if (stale) await sleep(20);
      }
      expect(cluster.stdout()).to.include('{"rotated":true}');
      await sleep(100);
      for (const pid of cluster.pids) {
        expect((await landOn(cluster.port, old.file, (served) => served === pid)).reused, `old session on ${pid}`).to.equal(false);
      }
      const fresh = await newSession(cluster.port);
      for (const pid of cluster.pids) {
        expect((await landOn(cluster.port, fresh.file, (served) => served === pid)).reused, `new session on ${pid}`).to.equal(true);
      }

      // A worker forked after the rotation starts with the keys of now.
      const [victim, survivor] = cluster.pids as [number, number];
      process.kill(victim, 'SIGKILL');
      while (alive(victim)) await sleep(20);
      const replacement = await landOn(cluster.port, fresh.file, (pid) => pid !== survivor && pid !== victim && pid !== 0, 200);
      expect(replacement.reused, `new session on the replacement ${replacement.body}`).to.equal(true);
    });

    it('tlsTicketRotationMs rotates on its own: an old session stops resuming', async () => {
      const cluster = await startCluster({ TICKET_ROTATION_MS: '300' });
      const old = await newSession(cluster.port);
      let reused = true;
      for (let i = 0; i < 100 && reused; i++) {
        await sleep(50);
        reused = (await sClient(cluster.port, { sessIn: old.file })).reused;
      }
      expect(reused).to.equal(false);
    });
  });
});
