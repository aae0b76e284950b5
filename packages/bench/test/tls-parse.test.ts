import { expect } from 'chai';
import { parseToolOutput, toolCommand, TLS13_CIPHER } from '../src/tls/measure.js';
import { abTls, parseH2load } from '../src/tls/parse-h2load.js';
import { fixture } from './fixture.js';

describe('pnpm bench tls: the tools', () => {
  describe("h2load's report", () => {
    it('reads HTTP/1.1 over TLS: the rate, the counts, the TLS and the ALPN protocol', () => {
      expect(parseH2load(fixture('h2load-h1.txt'))).to.deep.equal({
        perSecond: 25519.33,
        succeeded: 76558,
        failed: 0,
        protocol: 'TLSv1.3',
        cipher: 'TLS_AES_256_GCM_SHA384',
        keyExchange: 'X25519 253 bits',
        application: 'http/1.1',
      });
    });

    it('reads HTTP/2, and a server that offered no h2 (h2load falls back to http/1.1)', () => {
      expect(parseH2load(fixture('h2load-h2.txt'))).to.include({ perSecond: 17786.67, succeeded: 53360, application: 'h2' });
      expect(parseH2load(fixture('h2load-h2-fallback.txt'))).to.include({ succeeded: 21809, application: 'http/1.1' });
    });

    it("takes the main duration's rate, not the requests over 'finished in' (which includes --warm-up-time)", () => {
      const output = fixture('h2load-h2-warmup.txt');
      expect(output).to.match(/^finished in 2\.01s, 10460\.00 req\/s/m);
      expect(parseH2load(output).perSecond).to.equal(10460);
    });

    it('counts only 2xx answers as successes, and the rest as failed', () => {
      const mixed = fixture('h2load-h1.txt').replace(
        'status codes: 76558 2xx, 0 3xx, 0 4xx, 0 5xx',
        'status codes: 38279 2xx, 0 3xx, 38279 4xx, 0 5xx',
      );
      expect(parseH2load(mixed)).to.include({ perSecond: 25519.33 / 2, succeeded: 38279, failed: 38279 });
    });

    it('reads a run that never connected as no successes and every request failed, with no TLS', () => {
      expect(parseH2load(fixture('h2load-refused.txt'))).to.deep.equal({
        perSecond: 0,
        succeeded: 0,
        failed: 4,
        protocol: null,
        cipher: null,
        keyExchange: null,
        application: null,
      });
    });

    it('throws on output that is not an h2load report, quoting its last line', () => {
      expect(() => parseH2load('starting benchmark...\nNo protocol negotiated. Aborted.\n')).to.throw(
        /not h2load output: No protocol negotiated/,
      );
    });
  });

  it("reads ab's TLS lines, and the new-connections row's figures from ab", () => {
    const output = fixture('ab-tls-new.txt');
    expect(abTls(output)).to.deep.equal({ protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', keyExchange: 'X25519 253 bits' });
    expect(parseToolOutput('new-connections', output)).to.deep.equal({
      perSecond: 189.89,
      succeeded: 580,
      failed: 0,
      application: null,
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_256_GCM_SHA384',
      keyExchange: 'X25519 253 bits',
    });
    expect(abTls('no TLS here')).to.deep.equal({ protocol: null, cipher: null, keyExchange: null });
  });

  it('runs each row with its tool: h2load --h1, h2load -m, ab without -k; one TLS 1.3 cipher; h2load warms up at least 1 s', () => {
    const shape = { durationSeconds: 5, connections: 25, streams: 10 };
    const url = 'https://127.0.0.1:1/';
    const h2load = ['h2load', `--tls13-ciphers=${TLS13_CIPHER}`];
    expect(toolCommand('https-keepalive', url, shape, 5, 2)).to.deep.equal([...h2load, '--warm-up-time=2', '-c25', '--h1', '-D', '5', url]);
    expect(toolCommand('http2', url, shape, 5, 0)).to.deep.equal([...h2load, '--warm-up-time=1', '-c25', '-m10', '-D', '5', url]);
    expect(toolCommand('new-connections', url, shape, 3)).to.deep.equal(['ab', '-c25', '-t', '3', '-n', '100000000', url]);
    expect(toolCommand('new-connections', url, shape)).to.not.include('-k');
  });
});
