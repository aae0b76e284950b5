import { expect } from 'chai';
import { copyFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { alive, reapAll, startProcess } from '../support/processes.js';
import { hasOpenssl } from '../support/tls-cert.js';
import { makeCertificate, scratchFile, type NamedCertificate } from './openssl-tools.js';

const app = new URL('../fixtures/tls-cluster-app.ts', import.meta.url).href;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The fingerprint of the certificate a new TLS connection to the port is served. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.once('error', reject);
  });
}

/** A GET whose response head arrives before its body: `started` resolves at the head, `done` with the whole body. */
function slowRequest(port: number, ms: number): { started: Promise<void>; done: Promise<{ status: number; body: string }> } {
  let onStarted!: () => void;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/slow?ms=${ms}`, rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.includes('\n')) onStarted();
      });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  return { started, done };
}

describe('TLS: certificate reload on SIGHUP', function () {
  this.timeout(60_000);
  let before: NamedCertificate;
  let after: NamedCertificate;

  beforeEach(function () {
    if (!hasOpenssl()) this.skip();
    before = makeCertificate('localhost', '127.0.0.1');
    after = makeCertificate('localhost', '127.0.0.1');
  });
  afterEach(() => reapAll());

  it('after the files are replaced and SIGHUP rolls the workers, new connections get the new certificate; a request in flight completes', async () => {
    expect(before.fingerprint).to.not.equal(after.fingerprint);
    const keyFile = scratchFile('served.key.pem');
    const certFile = scratchFile('served.cert.pem');
    copyFileSync(before.keyFile, keyFile);
    copyFileSync(before.certFile, certFile);
    const cluster = await startProcess(app, { env: { KEY_FILE: keyFile, CERT_FILE: certFile, WORKERS: '2', GRACE_MS: '10000' } });
    const port = cluster.ready.port as number;
    const oldPids = cluster.ready.pids as number[];
    for (let i = 0; i < 4; i++) expect(await servedFingerprint(port)).to.equal(before.fingerprint);

    const inFlight = slowRequest(port, 3000);
    await inFlight.started;
    copyFileSync(after.keyFile, keyFile);
    copyFileSync(after.certFile, certFile);
    process.kill(cluster.child.pid!, 'SIGHUP');

    // The first new worker listens while the old ones still do: the new certificate appears on some connections first.
    let seenNew = false;
    for (let i = 0; i < 300 && !seenNew; i++) {
      seenNew = (await servedFingerprint(port)) === after.fingerprint;
      if (!seenNew) await sleep(20);
    }
    expect(seenNew, 'a new connection served the new certificate').to.equal(true);

    const reply = await inFlight.done;
    expect(reply.status).to.equal(200);
    const servedBy = Number(/^started (\d+)/.exec(reply.body)?.[1]);
    expect(oldPids, 'the slow request ran on a worker from before the roll').to.include(servedBy);
    expect(reply.body).to.equal(`started ${servedBy}\ndone ${servedBy}`);

    // Once every old worker is gone, every connection gets the new certificate.
    for (let i = 0; i < 500 && oldPids.some(alive); i++) await sleep(20);
    expect(oldPids.filter(alive), 'old workers left').to.deep.equal([]);
    for (let i = 0; i < 8; i++) expect(await servedFingerprint(port)).to.equal(after.fingerprint);
    expect(cluster.stderr()).to.not.match(/PERCORE_ERR_WORKER_DIED|PERCORE_ERR_DRAIN_FORCED/);
  });
});
