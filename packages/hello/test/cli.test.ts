import { expect } from 'chai';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseCli, usage } from '../src/cli.js';
import { observabilityNotes, observabilityOptions } from '../src/observability.js';

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
      tls: null,
      http2: false,
      metrics: false,
      metricsPath: '/metrics',
      metricsPort: null,
      health: false,
      accessLog: null,
      logFormat: 'combined',
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

  it('takes --cert and --key together, as absolute paths, with HTTP/2 on unless --no-http2', () => {
    const withTls = parseCli(['--cert', 'c.pem', '--key', '/k/key.pem'], {}, '/srv');
    expect('config' in withTls && withTls.config.tls).to.deep.equal({ certFile: '/srv/c.pem', keyFile: '/k/key.pem' });
    expect(config(['--cert', 'c.pem', '--key', 'k.pem'])).to.include({ http2: true });
    expect(config(['--cert', 'c.pem', '--key', 'k.pem', '--no-http2'])).to.include({ http2: false });
    expect(error(['--cert', 'c.pem'])).to.equal('--cert needs --key (its private key)');
    expect(error(['--key', 'k.pem'])).to.equal('--key needs --cert (the certificate it belongs to)');
    expect(error(['--cert=', '--key', 'k.pem'])).to.match(/take file names/);
    expect(error(['--no-http2'])).to.match(/--no-http2 .*add --cert and --key/);
    expect(usage())
      .to.match(/--cert <file>/)
      .and.match(/--key <file>/)
      .and.match(/--no-http2/);
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

  it('reads --metrics[=PATH], --metrics-port, --health, --access-log[=FILE] and --log-format', () => {
    expect(config(['--metrics', '--health'])).to.include({ metrics: true, metricsPath: '/metrics', metricsPort: null, health: true });
    expect(config(['--metrics=/prom'])).to.include({ metrics: true, metricsPath: '/prom' });
    expect(config(['--metrics-port', '9100'])).to.include({ metrics: true, metricsPath: '/metrics', metricsPort: 9100 });
    expect(config(['--access-log'])).to.include({ accessLog: 'stdout', logFormat: 'combined' });
    const relative = parseCli(['--access-log=logs/a.log', '--log-format', 'json'], {}, '/srv/hello');
    expect(relative).to.have.nested.include({ 'config.accessLog': '/srv/hello/logs/a.log', 'config.logFormat': 'json' });
    expect(config(['--access-log=logs/a.log'])).to.include({ accessLog: join(process.cwd(), 'logs', 'a.log') });
    // The value only after '=': a bare --metrics never swallows the next flag.
    expect(config(['--metrics', '-w', '2'])).to.include({ metrics: true, metricsPath: '/metrics', workers: 2 });
  });

  it('refuses bad metrics, health and access-log flags (exit 2 in main), naming the problem', () => {
    expect(error(['--metrics=metrics'])).to.equal(`--metrics must be a path starting with '/' (no query), got "metrics"`);
    expect(error(['--metrics-port', '70000'])).to.equal('--metrics-port must be from 0 to 65535, got "70000"');
    expect(error(['--metrics-port', '9.5'])).to.equal('--metrics-port must be from 0 to 65535, got "9.5"');
    expect(config(['--port', '0', '--metrics-port', '0'])).to.include({ port: 0, metricsPort: 0 });
    expect(error(['--metrics-port'])).to.match(/--metrics-port <value>' argument missing/);
    expect(error(['--port', '9100', '--metrics-port', '9100'])).to.match(/--metrics-port 9100 is the main port too/);
    expect(error(['--metrics-port', '8080'])).to.match(/--metrics-port 8080 is the main port too/);
    expect(error(['--metrics=/readyz', '--health'])).to.match(/a health check's path/);
    expect(error(['--log-format', 'json'])).to.match(/add --access-log/);
    expect(error(['--access-log', '--log-format', 'apache'])).to.match(/--log-format must be one of common, combined, json, got "apache"/);
    expect(error(['--health=1'])).to.match(/'--health' does not take an argument/);
  });

  it('passes serve() nothing new when the flags are off, and the options when on', () => {
    expect(observabilityOptions(config([]))).to.deep.equal({});
    expect(observabilityNotes(config([]), null)).to.equal('');
    const on = config(['--metrics-port', '9100', '--health', '--access-log', '--log-format', 'common']);
    expect(observabilityOptions(on)).to.deep.equal({
      metrics: { path: '/metrics', port: 9100 },
      health: true,
      accessLog: { format: 'common', destination: 'stdout' },
    });
    expect(observabilityNotes(on, 'http://127.0.0.1:9100/metrics')).to.equal(
      ', metrics at http://127.0.0.1:9100/metrics, health at /healthz and /readyz, access log common to stdout',
    );
  });
});
