import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../src/config.js';
import { observabilityNotes, observabilityOptions } from '../src/observability-options.js';
import { UsageError } from '../src/usage-error.js';

describe('resolveConfig: metrics, health and the access log', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'percore-cli-observability-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (content: object): string => {
    const path = join(dir, 'percore.json');
    writeFileSync(path, JSON.stringify(content));
    return path;
  };

  it('--metrics serves /metrics on the main port, --metrics=PATH elsewhere, --metrics-port on a port of its own', () => {
    expect(resolveConfig({ metrics: true }, {}, dir)).to.include({ metrics: true, metricsPath: '/metrics', metricsPort: null });
    expect(resolveConfig({ metrics: '/_/prom' }, {}, dir)).to.include({ metrics: true, metricsPath: '/_/prom', metricsPort: null });
    expect(resolveConfig({ metricsPort: '9100' }, {}, dir)).to.include({ metrics: true, metricsPath: '/metrics', metricsPort: 9100 });
  });

  it('--access-log goes to stdout, --access-log=FILE to the file made absolute, in the format --log-format names', () => {
    expect(resolveConfig({ accessLog: true }, {}, dir)).to.include({ accessLog: 'stdout', logFormat: 'combined' });
    expect(resolveConfig({ accessLog: 'stdout', logFormat: 'common' }, {}, dir)).to.include({ accessLog: 'stdout', logFormat: 'common' });
    expect(resolveConfig({ accessLog: 'logs/access.log', logFormat: 'json' }, {}, dir)).to.include({
      accessLog: join(dir, 'logs', 'access.log'),
      logFormat: 'json',
    });
    expect(resolveConfig({ health: true }, {}, dir)).to.include({ health: true });
  });

  it('takes flags over env over the file, key by key', () => {
    const config = file({ metrics: '/from-file', metricsPort: 9001, health: false, accessLog: 'file.log', logFormat: 'common' });
    const env = { PERCORE_METRICS: '/from-env', PERCORE_HEALTH: '1', PERCORE_LOG_FORMAT: 'json' };
    expect(resolveConfig({ config, metrics: '/from-flag' }, env, join(dir, 'cwd'))).to.include({
      metricsPath: '/from-flag', // flag over env and file
      health: true, // env over file
      logFormat: 'json', // env over file
      metricsPort: 9001, // file over default
      accessLog: join(dir, 'file.log'), // relative to the file, not the working directory
    });
    expect(resolveConfig({ config }, env, dir)).to.include({ metricsPath: '/from-env' });
    expect(resolveConfig({ config, accessLog: 'flag.log' }, {}, join(dir, 'cwd'))).to.include({ accessLog: join(dir, 'cwd', 'flag.log') });
  });

  it('reads the switches from the environment: 1/true, 0/false, or a value', () => {
    const env = { PERCORE_METRICS: 'true', PERCORE_ACCESS_LOG: '1', PERCORE_METRICS_PORT: '9100', PERCORE_HEALTH: 'true' };
    expect(resolveConfig({}, env, dir)).to.include({
      metrics: true,
      metricsPath: '/metrics',
      metricsPort: 9100,
      accessLog: 'stdout',
      health: true,
    });
    expect(resolveConfig({}, { PERCORE_ACCESS_LOG: 'access.log' }, dir)).to.include({ accessLog: join(dir, 'access.log') });
    // 0 turns off what the file turns on; an empty value counts as unset.
    const config = file({ metrics: true, accessLog: true, health: true });
    expect(resolveConfig({ config }, { PERCORE_METRICS: '0', PERCORE_ACCESS_LOG: 'false', PERCORE_HEALTH: '' }, dir)).to.include({
      metrics: false,
      accessLog: null,
      health: true,
    });
  });

  it('refuses bad values, naming where they came from', () => {
    const cases: Array<[Parameters<typeof resolveConfig>[0], NodeJS.ProcessEnv, string]> = [
      [{ metrics: 'metrics' }, {}, '--metrics must be on, off or a path starting with \'/\' (no query), got "metrics"'],
      [{ metrics: '/m?x=1' }, {}, "--metrics must be on, off or a path starting with '/'"],
      [{}, { PERCORE_METRICS: 'yes' }, "PERCORE_METRICS must be on, off or a path starting with '/'"],
      [{ metricsPort: '65536' }, {}, '--metrics-port must be an integer from 0 to 65535, got "65536"'],
      [{ metricsPort: '-1' }, {}, '--metrics-port must be an integer from 0 to 65535'],
      [{ metricsPort: 'http' }, {}, '--metrics-port must be an integer'],
      [{ port: '9100', metricsPort: '9100' }, {}, '--metrics-port 9100 is the main port too'],
      [{ metricsPort: '8080' }, {}, '--metrics-port 8080 is the main port too'],
      [{ metricsPort: '9100' }, { PERCORE_METRICS: '0' }, '--metrics-port serves metrics, but PERCORE_METRICS turns them off'],
      [{ metrics: '/healthz', health: true }, {}, "--metrics asks for /healthz, a health check's path"],
      [{ logFormat: 'json' }, {}, "--log-format sets the access log's format, and the access log is off: add --access-log[=FILE]"],
      [{ accessLog: true, logFormat: 'apache' }, {}, '--log-format must be common or combined or json, got "apache"'],
      [{}, { PERCORE_HEALTH: 'on' }, 'PERCORE_HEALTH must be 1, 0, true or false'],
    ];
    for (const [flags, env, message] of cases) {
      expect(() => resolveConfig(flags, env, dir), JSON.stringify({ flags, env })).to.throw(UsageError, message);
    }
    const bad = file({ health: 'yes', accessLog: '' });
    expect(() => resolveConfig({ config: bad }, {}, dir)).to.throw(UsageError, `"health" in ${bad} must be true or false`);
    expect(() => resolveConfig({ config: file({ accessLog: '' }) }, {}, dir)).to.throw(UsageError, '"accessLog" in');
    expect(() => resolveConfig({ config: file({ logFormat: 'json' }) }, {}, dir)).to.throw(UsageError, '"logFormat" in');
  });

  it('allows a metrics port of 0 or beside a main port of 0, and a health path as the metrics path on a port of its own', () => {
    expect(resolveConfig({ port: '0', metricsPort: '9100' }, {}, dir)).to.include({ port: 0, metricsPort: 9100 });
    // 0 picks a free port, so two 0s never clash.
    expect(resolveConfig({ port: '0', metricsPort: '0' }, {}, dir)).to.include({ port: 0, metricsPort: 0 });
    expect(resolveConfig({ metrics: '/healthz', metricsPort: '9100', health: true }, {}, dir)).to.include({ metricsPath: '/healthz' });
  });
});

describe('observabilityOptions and the start-up notes', () => {
  const off = { metrics: false, metricsPath: '/metrics', metricsPort: null, health: false, accessLog: null, logFormat: 'combined' } as const;

  it('passes nothing when all is off', () => {
    expect(observabilityOptions(off)).to.deep.equal({});
    expect(observabilityNotes(off, null)).to.deep.equal([]);
  });

  it("maps each to serve()'s option", () => {
    const on = { ...off, metrics: true, metricsPath: '/m', health: true, accessLog: '/var/log/a.log', logFormat: 'json' } as const;
    expect(observabilityOptions(on)).to.deep.equal({
      metrics: { path: '/m' },
      health: true,
      accessLog: { format: 'json', destination: '/var/log/a.log' },
    });
    expect(observabilityNotes(on, 'http://127.0.0.1:8080/m')).to.deep.equal([
      'metrics at /m',
      'health at /healthz and /readyz',
      'access log json to /var/log/a.log',
    ]);
    const ownPort = { ...off, metrics: true, metricsPort: 9100 };
    expect(observabilityOptions(ownPort)).to.deep.equal({ metrics: { path: '/metrics', port: 9100 } });
    expect(observabilityNotes(ownPort, 'http://127.0.0.1:9100/metrics')).to.deep.equal(['metrics at http://127.0.0.1:9100/metrics']);
  });
});
