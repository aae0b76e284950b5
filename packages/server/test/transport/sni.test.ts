import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { Engine } from '../../src/http/engine.js';
import type { Handler } from '../../src/http/api.js';
import { checkServerOptions, createServer, type ServerOptions } from '../../src/server.js';
import { codeOf } from '../support/errors.js';
import { hasOpenssl } from '../support/tls-cert.js';
import { requireUws } from '../support/uws.js';
import { makeCertificate, sClient, scratchFile, type NamedCertificate } from './openssl-tools.js';

const handler: Handler = (req, res) => res.end(`served ${req.headers.host ?? ''}`);

describe('TLS: SNI with several certificates', function () {
  this.timeout(30_000);
  let fallback: NamedCertificate;
  let a: NamedCertificate;
  let b: NamedCertificate;
  let wild: NamedCertificate;
  let exactUnderWild: NamedCertificate;
  const engines: Engine[] = [];

  before(function () {
    if (!hasOpenssl()) this.skip();
    fallback = makeCertificate('localhost', '127.0.0.1');
    a = makeCertificate('a.test');
    b = makeCertificate('b.test');
    wild = makeCertificate('*.wild.test');
    exactUnderWild = makeCertificate('exact.wild.test');
  });

  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.close({ graceMs: 0 })));
  });

  const sni = () => ({
    'a.test': { key: a.key, cert: a.cert },
    'B.Test': { key: b.key, cert: b.cert },
    '*.wild.test': { key: wild.key, cert: wild.cert },
    'exact.wild.test': { key: exactUnderWild.key, cert: exactUnderWild.cert },
  });

  async function start(keys?: Buffer): Promise<number> {
    const engine = createServer({ handler, transport: { tls: { key: fallback.key, cert: fallback.cert }, sni: sni() } });
    engines.push(engine);
    if (keys !== undefined) engine.setTicketKeys!(keys);
    return (await engine.listen({ host: '127.0.0.1', port: 0 })).port;
  }

  it('-servername a.test and b.test get their own certificates, and the request goes on to HTTP', async () => {
    const port = await start();
    const onA = await sClient(port, { servername: 'a.test', path: '/' });
    const onB = await sClient(port, { servername: 'b.test', path: '/' });
    expect(onA.fingerprint).to.equal(a.fingerprint);
    expect(onB.fingerprint, 'names match without regard to case').to.equal(b.fingerprint);
    expect(onA.body).to.equal('served a.test');
    expect(onB.body).to.equal('served b.test');
    expect((await sClient(port, { servername: 'A.TEST' })).fingerprint).to.equal(a.fingerprint);
  });

  it('an unknown name, and no name at all, get the default certificate', async () => {
    const port = await start();
    expect((await sClient(port, { servername: 'unknown.test' })).fingerprint).to.equal(fallback.fingerprint);
    expect((await sClient(port, {})).fingerprint).to.equal(fallback.fingerprint);
  });

  it('*.wild.test matches one label deep only; an exact name under it wins', async () => {
    const port = await start();
    expect((await sClient(port, { servername: 'x.wild.test' })).fingerprint).to.equal(wild.fingerprint);
    expect((await sClient(port, { servername: 'deep.x.wild.test' })).fingerprint).to.equal(fallback.fingerprint);
    expect((await sClient(port, { servername: 'wild.test' })).fingerprint).to.equal(fallback.fingerprint);
    expect((await sClient(port, { servername: 'exact.wild.test' })).fingerprint).to.equal(exactUnderWild.fingerprint);
  });

  it('a session for an SNI name resumes on another server with the same ticket keys, and not with other keys', async () => {
    const keys = randomBytes(48);
    const [first, same, other] = [await start(keys), await start(keys), await start(randomBytes(48))];
    for (const servername of ['a.test', 'x.wild.test']) {
      const file = scratchFile('sni-session.pem');
      const issued = await sClient(first, { servername, sessOut: file });
      expect(issued.reused).to.equal(false);
      const resumed = await sClient(same, { servername, sessIn: file });
      expect(resumed.reused, `${servername}, same keys`).to.equal(true);
      expect(resumed.body).to.equal(`served ${servername}`);
      expect((await sClient(other, { servername, sessIn: file })).reused, `${servername}, other keys`).to.equal(false);
    }
  });

  describe('checked when the server is made', () => {
    const withSni =
      (entries: unknown, extra: Partial<ServerOptions['transport']> = {}) =>
      () =>
        createServer({
          handler,
          transport: { tls: { key: fallback.key, cert: fallback.cert }, sni: entries as Record<string, never>, ...extra },
        });

    it('an entry node:tls refuses: PERCORE_ERR_TLS_CONFIG naming the name', () => {
      let message = '';
      try {
        withSni({ 'ok.test': { key: a.key, cert: a.cert }, 'broken.test': { key: 'not a key', cert: b.cert } })();
      } catch (error) {
        message = (error as Error).message;
        expect((error as { code?: string }).code).to.equal('PERCORE_ERR_TLS_CONFIG');
      }
      expect(message).to.include('transport.sni["broken.test"]');
      expect(codeOf(withSni({ 'nocert.test': { key: a.key } }))).to.equal('PERCORE_ERR_TLS_CONFIG');
    });

    it('names that are not DNS names, wildcards deeper than one label, and duplicates: PERCORE_ERR_TLS_CONFIG', () => {
      const entry = { key: a.key, cert: a.cert };
      for (const name of ['', 'bad name', '*.*.test', 'a.*.test', '*', '-a.test', 'a..test']) {
        expect(codeOf(withSni({ [name]: entry })), JSON.stringify(name)).to.equal('PERCORE_ERR_TLS_CONFIG');
      }
      expect(codeOf(withSni({ 'dup.test': entry, 'DUP.test': entry }))).to.equal('PERCORE_ERR_TLS_CONFIG');
    });

    it('sni without tls, sni that is not a map: PERCORE_ERR_INVALID_OPTION; with an SNICallback of its own: PERCORE_ERR_TLS_CONFIG', () => {
      expect(codeOf(() => createServer({ handler, transport: { sni: { 'a.test': { key: a.key, cert: a.cert } } } }))).to.equal(
        'PERCORE_ERR_INVALID_OPTION',
      );
      expect(codeOf(withSni('a.test'))).to.equal('PERCORE_ERR_INVALID_OPTION');
      const own = () =>
        createServer({
          handler,
          transport: {
            tls: { key: fallback.key, cert: fallback.cert, SNICallback: (_name, done) => done(null) },
            sni: { 'a.test': { key: a.key, cert: a.cert } },
          },
        });
      expect(codeOf(own)).to.equal('PERCORE_ERR_TLS_CONFIG');
    });

    it('the uws engine refuses sni with PERCORE_ERR_INVALID_OPTION', function () {
      requireUws(this);
      const uws = () =>
        createServer({
          engine: 'uws',
          handler,
          transport: { tls: { key: fallback.key, cert: fallback.cert }, sni: { 'a.test': { key: a.key, cert: a.cert } } },
        });
      expect(codeOf(uws)).to.equal('PERCORE_ERR_INVALID_OPTION');
    });

    it('checkServerOptions refuses sni on uws, so that serve() fails in the primary, not in every worker', () => {
      const options = {
        engine: 'uws' as const,
        handler,
        transport: { tls: { key: fallback.key, cert: fallback.cert }, sni: { 'a.test': a } },
      };
      expect(codeOf(() => checkServerOptions(options))).to.equal('PERCORE_ERR_INVALID_OPTION');
    });
  });
});
