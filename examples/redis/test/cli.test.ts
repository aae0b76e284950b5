import { expect } from 'chai';
import { CliError, parseCli } from '../src/cli.js';

describe('redis main.ts command line', () => {
  it('defaults to one process on 127.0.0.1:6380, or $PORT', () => {
    expect(parseCli([])).to.deep.equal({ port: 6380, host: '127.0.0.1', workers: 1, options: {} });
    expect(parseCli([], { PORT: '0' })).to.include({ port: 0 });
  });

  it('reads the port, host, workers and limits (MiB for sizes)', () => {
    const command = parseCli([
      '--port',
      '7000',
      '--host',
      '0.0.0.0',
      '--workers',
      '4',
      '--max-bulk',
      '2',
      '--max-output',
      '8',
      '--timeout',
      '30',
    ]);
    expect(command).to.deep.equal({
      port: 7000,
      host: '0.0.0.0',
      workers: 4,
      options: { maxBulkLength: 2 * 1024 * 1024, maxOutputBytes: 8 * 1024 * 1024, idleTimeoutSeconds: 30 },
    });
    expect(parseCli(['--workers', '4', '--single'])).to.include({ workers: 1 });
    expect(parseCli(['--help'])).to.equal('help');
  });

  it('refuses unknown options, missing values and bad numbers', () => {
    for (const argv of [['--nope'], ['--port'], ['--port', '70000'], ['--workers', '0'], ['--timeout', '-1'], ['--max-args', '1.5']]) {
      expect(() => parseCli(argv), argv.join(' ')).to.throw(CliError);
    }
  });
});
