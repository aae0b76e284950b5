import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../src/config.js';
import { UsageError } from '../src/usage-error.js';

describe('resolveConfig', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'percore-cli-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has the defaults', () => {
    expect(resolveConfig({}, {}, dir)).to.deep.equal({
      root: dir,
      host: '127.0.0.1',
      port: 8080,
      workers: availableParallelism(),
      engine: 'net',
      mounts: [],
      user: null,
      group: null,
      cert: null,
      key: null,
      tlsSelfSigned: false,
      http2: true,
      debug: false,
      single: false,
      maxAge: 0,
      cors: false,
      dotfiles: 'hide',
      metrics: false,
      metricsPath: '/metrics',
      metricsPort: null,
      health: false,
      accessLog: null,
      logFormat: 'combined',
    });
  });

  it('takes flags over env over the file, key by key', () => {
    const file = join(dir, 'percore.json');
    writeFileSync(file, JSON.stringify({ port: 1, host: '10.0.0.1', engine: 'uws', user: 'www', debug: false, cors: true }));
    const config = resolveConfig({ config: file, port: '3' }, { PERCORE_PORT: '2', PERCORE_HOST: '10.0.0.2', PERCORE_DEBUG: '1' }, dir);
    expect(config).to.include({ port: 3, host: '10.0.0.2', engine: 'uws', user: 'www', debug: true, cors: true });
  });

  it('resolves paths against the working directory, and a file’s against the file', () => {
    const sub = join(dir, 'etc');
    const file = join(dir, 'etc.json');
    writeFileSync(file, JSON.stringify({ root: 'site', mount: { '/api': 'api.mjs' }, cert: 'c.pem', key: 'k.pem' }));
    expect(resolveConfig({ config: file }, {}, sub)).to.include({
      root: join(dir, 'site'),
      cert: join(dir, 'c.pem'),
      key: join(dir, 'k.pem'),
    });
    const flags = resolveConfig({ config: file, root: 'www', mount: ['/v1=./v1.mjs'] }, {}, sub);
    expect(flags.root).to.equal(join(sub, 'www'));
    expect(flags.mounts).to.deep.equal([{ prefix: '/v1', module: join(sub, 'v1.mjs') }]);
  });

  it('names the source of a bad value', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ workers: 0 }));
    expect(() => resolveConfig({ config: file }, {}, dir)).to.throw(UsageError, `"workers" in ${file} must be an integer from 1 to 1024`);
    expect(() => resolveConfig({}, { PERCORE_PORT: '-1' }, dir)).to.throw(UsageError, 'PERCORE_PORT must be an integer');
    expect(() => resolveConfig({ maxAge: '1.5' }, {}, dir)).to.throw(UsageError, '--max-age must be an integer');
    expect(() => resolveConfig({}, { PERCORE_DEBUG: 'yes' }, dir)).to.throw(UsageError, 'PERCORE_DEBUG must be 1, 0, true or false');
    expect(() => resolveConfig({ mount: ['api=./a.mjs'] }, {}, dir)).to.throw(UsageError, "must start with '/'");
    expect(() => resolveConfig({ mount: ['/a=./a.mjs', '/a=./b.mjs'] }, {}, dir)).to.throw(UsageError, 'mounted twice');
    expect(() => resolveConfig({ key: 'k.pem' }, {}, dir)).to.throw(UsageError, '--cert and --key go together');
  });

  it('--tls-self-signed and HTTP/2 from flags, env and file; the self-signed certificate or --cert/--key, not both', () => {
    const file = join(dir, 'percore.json');
    writeFileSync(file, JSON.stringify({ tlsSelfSigned: true, http2: false }));
    expect(resolveConfig({ config: file }, {}, dir)).to.include({ tlsSelfSigned: true, http2: false });
    expect(resolveConfig({ config: file }, { PERCORE_TLS_SELF_SIGNED: '0', PERCORE_HTTP2: '1' }, dir)).to.include({
      tlsSelfSigned: false,
      http2: true,
    });
    expect(resolveConfig({ tlsSelfSigned: true, http2: false }, { PERCORE_HTTP2: 'true' }, dir)).to.include({
      tlsSelfSigned: true,
      http2: false,
    });
    const pems = { cert: 'c.pem', key: 'k.pem' };
    expect(() => resolveConfig({ tlsSelfSigned: true, ...pems }, {}, dir)).to.throw(
      UsageError,
      '--tls-self-signed makes its own certificate: give it or --cert/--key, not both',
    );
    expect(() => resolveConfig(pems, { PERCORE_TLS_SELF_SIGNED: '1' }, dir)).to.throw(UsageError, 'PERCORE_TLS_SELF_SIGNED makes its own');
    expect(() => resolveConfig({ ...pems, config: file }, {}, dir)).to.throw(UsageError, `"tlsSelfSigned" in ${file} makes its own`);
    // Turned off, it leaves --cert/--key alone.
    expect(resolveConfig(pems, { PERCORE_TLS_SELF_SIGNED: '0' }, dir)).to.include({ tlsSelfSigned: false, cert: join(dir, 'c.pem') });
    expect(() => resolveConfig({}, { PERCORE_TLS_SELF_SIGNED: 'yes' }, dir)).to.throw(UsageError, 'PERCORE_TLS_SELF_SIGNED must be 1, 0');
    writeFileSync(file, JSON.stringify({ http2: 'off' }));
    expect(() => resolveConfig({ config: file }, {}, dir)).to.throw(UsageError, `"http2" in ${file} must be true or false`);
  });

  it('refuses a config file that is missing, not JSON, or has an unknown key', () => {
    expect(() => resolveConfig({ config: join(dir, 'none.json') }, {}, dir)).to.throw(UsageError, 'ENOENT');
    writeFileSync(join(dir, 'text.json'), 'port = 1');
    expect(() => resolveConfig({ config: join(dir, 'text.json') }, {}, dir)).to.throw(UsageError, 'is not JSON');
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ prot: 1 }));
    expect(() => resolveConfig({ config: join(dir, 'typo.json') }, {}, dir)).to.throw(UsageError, 'unknown key "prot"');
  });
});
