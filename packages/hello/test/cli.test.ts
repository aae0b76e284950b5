import { expect } from 'chai';
import { availableParallelism } from 'node:os';
import { parseCli, usage } from '../src/cli.js';

describe('hello CLI arguments', () => {
  const config = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const result = parseCli(argv, env);
    if (!('config' in result)) throw new Error(`expected a config, got ${JSON.stringify(result)}`);
    return result.config;
  };
  const error = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const result = parseCli(argv, env);
    if (!('error' in result)) throw new Error(`expected an error, got ${JSON.stringify(result)}`);
    return result.error;
  };

  it('defaults to 127.0.0.1:8080, one worker per core, the net engine, timeouts on', () => {
    expect(config([])).to.deep.equal({
      port: 8080,
      host: '127.0.0.1',
      workers: availableParallelism(),
      engine: 'net',
      timeouts: true,
      stats: false,
    });
  });

  it('takes PORT and WORKERS from the environment, and flags over them', () => {
    expect(config([], { PORT: '9000', WORKERS: '3' })).to.include({ port: 9000, workers: 3 });
    expect(config(['-p', '9100', '-w', '1'], { PORT: '9000', WORKERS: '3' })).to.include({ port: 9100, workers: 1 });
    expect(config(['--port=0', '--workers=2', '--host', '::1'])).to.include({ port: 0, workers: 2, host: '::1' });
  });

  it('ignores the leading -- that pnpm start -- <flags> passes along', () => {
    expect(config(['--', '--port', '9200', '-w', '2'])).to.include({ port: 9200, workers: 2 });
    expect(parseCli(['--', '--help'], {})).to.deep.equal({ help: true });
  });

  it('reads --no-timeouts and --stats', () => {
    expect(config(['--no-timeouts', '--stats'])).to.include({ timeouts: false, stats: true });
  });

  it('asks for help with -h or --help', () => {
    expect(parseCli(['-h'], {})).to.deep.equal({ help: true });
    expect(parseCli(['--port', 'x', '--help'], {})).to.deep.equal({ help: true });
    expect(usage())
      .to.match(/--no-timeouts/)
      .and.match(/ab -k -c25/);
  });

  it('refuses unknown flags, stray arguments and bad values, naming the problem', () => {
    expect(error(['--bogus'])).to.match(/bogus/);
    expect(error(['extra'])).to.match(/extra/);
    expect(error(['--port', 'http'])).to.match(/--port must be a whole number/);
    expect(error(['--port', '65536'])).to.match(/from 0 to 65535/);
    expect(error([], { PORT: '-1' })).to.match(/PORT must be a whole number/);
    expect(error(['--workers', '0'])).to.match(/--workers must be from 1/);
    expect(error(['--engine', 'magic'])).to.match(/unknown engine "magic"/);
    expect(config(['--engine', 'uws'])).to.include({ engine: 'uws' });
  });
});
