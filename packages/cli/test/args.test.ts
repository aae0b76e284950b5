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
});
