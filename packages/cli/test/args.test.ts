import { expect } from 'chai';
import { parseCommandLine } from '../src/args.js';
import { UsageError } from '../src/usage-error.js';

describe('parseCommandLine', () => {
  it('takes the directory and the flags, short and long', () => {
    const command = parseCommandLine([
      'serve',
      './site',
      '-a',
      '0.0.0.0',
      '--port',
      '80',
      '-w',
      '2',
      '-l',
      '/api=./api.mjs',
      '--mount',
      '/x=./x.mjs',
      '-d',
      '-s',
    ]);
    expect(command).to.deep.equal({
      kind: 'serve',
      flags: {
        root: './site',
        host: '0.0.0.0',
        port: '80',
        workers: '2',
        mount: ['/api=./api.mjs', '/x=./x.mjs'],
        debug: true,
        single: true,
      },
    });
  });

  it("drops the '--' that `pnpm serve -- ./dir` passes on, so later flags still count", () => {
    expect(parseCommandLine(['serve', '--', './dir', '-p', '9000'])).to.deep.equal({ kind: 'serve', flags: { root: './dir', port: '9000' } });
    expect(parseCommandLine(['--', 'serve', './dir'])).to.deep.equal({ kind: 'serve', flags: { root: './dir' } });
  });

  it("takes serve's and sirv-cli's names for the same options, and -f as a no-op", () => {
    const command = parseCommandLine(['serve', '--ssl-cert', 'c.pem', '--ssl-key', 'k.pem', '--maxage', '60', '-f']);
    expect(command).to.deep.equal({ kind: 'serve', flags: { cert: 'c.pem', key: 'k.pem', maxAge: '60' } });
    expect(() => parseCommandLine(['serve', '--cert', 'a.pem', '--ssl-cert', 'b.pem'])).to.throw(UsageError, 'same option');
  });

  it('--tls-self-signed is a switch; --no-http2 turns HTTP/2 off and takes no value', () => {
    expect(parseCommandLine(['serve', '--tls-self-signed', '--no-http2'])).to.deep.equal({
      kind: 'serve',
      flags: { tlsSelfSigned: true, http2: false },
    });
    expect(parseCommandLine(['serve', '--tls-self-signed'])).to.deep.equal({ kind: 'serve', flags: { tlsSelfSigned: true } });
    expect(() => parseCommandLine(['serve', '--no-http2=1'])).to.throw(UsageError, "'--no-http2' does not take an argument");
    expect(() => parseCommandLine(['serve', '--http2'])).to.throw(UsageError, "Unknown option '--http2'");
  });

  it('answers help and version before anything else', () => {
    expect(parseCommandLine(['--help'])).to.deep.equal({ kind: 'help' });
    expect(parseCommandLine(['serve', '--port', '1', '-h'])).to.deep.equal({ kind: 'help' });
    expect(parseCommandLine(['-v'])).to.deep.equal({ kind: 'version' });
  });

  it('refuses unknown flags, a missing value, two directories, -r and unknown commands', () => {
    for (const [argv, message] of [
      [['serve', '--nope'], "Unknown option '--nope'"],
      [['serve', '--port'], "Option '-p, --port <value>' argument missing"],
      [['serve', 'a', 'b'], 'one directory at most'],
      [['serve', '-r', '/srv'], 'RootDirectory='],
      [['start'], "unknown command 'start'"],
    ] as const) {
      expect(() => parseCommandLine(argv), argv.join(' ')).to.throw(UsageError, message);
    }
  });

  it('--metrics and --access-log take a value after = only, so a directory after them stays the directory', () => {
    expect(parseCommandLine(['serve', '--metrics', './site', '--access-log', '--health'])).to.deep.equal({
      kind: 'serve',
      flags: { root: './site', metrics: true, accessLog: true, health: true },
    });
    expect(
      parseCommandLine(['serve', '--metrics=/stats', '--metrics-port', '9100', '--access-log=logs/access.log', '--log-format', 'json']),
    ).to.deep.equal({
      kind: 'serve',
      flags: { metrics: '/stats', metricsPort: '9100', accessLog: 'logs/access.log', logFormat: 'json' },
    });
    // After a `--` terminator, '--metrics' is a directory's name.
    expect(parseCommandLine(['serve', '-p', '1', '--', '--metrics'])).to.deep.equal({
      kind: 'serve',
      flags: { port: '1', root: '--metrics' },
    });
  });

  it('refuses a missing value for --metrics-port and --log-format, and a value for --health', () => {
    for (const [argv, message] of [
      [['serve', '--metrics-port'], "Option '--metrics-port <value>' argument missing"],
      [['serve', '--log-format'], "Option '--log-format <value>' argument missing"],
      [['serve', '--health=yes'], "Option '--health' does not take an argument"],
      [['serve', '-l', '--metrics'], 'argument is ambiguous'],
    ] as const) {
      expect(() => parseCommandLine(argv), argv.join(' ')).to.throw(UsageError, message);
    }
  });
});
