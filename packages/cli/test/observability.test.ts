import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childPids, reapAll, requireBuild, runCli, serveCli, within, type Running } from './support/cli.js';

/** The sum of `http_requests_total` over GETs answered 200, leaving out the metrics and health paths themselves. */
function fileRequestsCounted(text: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^http_requests_total\{([^}]*)\} (\S+)$/.exec(line);
    if (match === null) continue;
    const labels = match[1]!;
    if (!labels.includes('method="GET"') || !labels.includes('code="200"')) continue;
    if (/route="\/(metrics|healthz|readyz)"/.test(labels)) continue;
    sum += Number(match[2]);
  }
  return sum;
}

/** Polls `check` until it returns a value; fails after `ms` (and stops polling). */
async function eventually<T>(what: string, ms: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { headers: { connection: 'close' } });
  return { status: response.status, text: await response.text() };
}

describe('percore serve --metrics --health --access-log (the CLI as a child process)', function () {
  this.timeout(30_000);
  let dir: string;

  before(requireBuild);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'percore-cli-observability-'));
    writeFileSync(join(dir, 'hello.txt'), 'hello from disk\n');
  });
  afterEach(() => {
    reapAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two workers: /metrics counts every file request, /healthz and /readyz answer 200, and the JSON access log has a line each', async () => {
    const log = join(dir, 'access.log');
    const cli = await serveCli([dir, '-p', '0', '-w', '2', '--metrics', '--health', `--access-log=${log}`, '--log-format', 'json']);
    expect(cli.line).to.include('metrics at /metrics').and.include('health at /healthz and /readyz').and.include(`access log json to ${log}`);
    expect(cli.line.split('\n')).to.have.length(1);

    const sent = 6;
    for (let i = 0; i < sent; i++) expect(await get(`${cli.url}/hello.txt?i=${i}`)).to.deep.equal({ status: 200, text: 'hello from disk\n' });

    // Whichever worker answers the scrape, the figures are both workers'.
    const metrics = await eventually('the metrics to count the requests sent', 10_000, async () => {
      const scrape = await get(`${cli.url}/metrics`);
      return scrape.status === 200 && fileRequestsCounted(scrape.text) >= sent ? scrape.text : undefined;
    });
    expect(metrics).to.include('# TYPE http_requests_total counter');
    expect(fileRequestsCounted(metrics)).to.equal(sent);

    expect(await get(`${cli.url}/healthz`)).to.have.property('status', 200);
    expect(await get(`${cli.url}/readyz`)).to.have.property('status', 200);

    const lines = await eventually('the access-log lines', 10_000, () => {
      const found = readLines(log).filter((line) => line.includes('/hello.txt'));
      return found.length >= sent ? found : undefined;
    });
    expect(lines).to.have.length(sent);
    const entries = lines.map((line) => JSON.parse(line) as { method: string; target: string; status: number; pid: number });
    for (const entry of entries) expect(entry).to.include({ method: 'GET', status: 200 });
    // Each request is logged once, by one of the two workers.
    expect(entries.map((entry) => entry.target).sort()).to.deep.equal([0, 1, 2, 3, 4, 5].map((i) => `/hello.txt?i=${i}`));
    const workers = new Set(childPids(cli.child.pid!));
    for (const entry of entries) expect(workers).to.include(entry.pid);
    await stop(cli);
  });

  it('--metrics-port serves the metrics there only, and --access-log writes combined lines to stdout', async () => {
    const cli = await serveCli([dir, '-p', '0', '-w', '2', '--metrics-port', '0', '--access-log']);
    expect(cli.line).to.include('access log combined to stdout');
    // 0 picked a port: the start-up line names it.
    const metricsUrl = /metrics at (http:\/\/127\.0\.0\.1:(\d+)\/metrics)[,)]/.exec(cli.line)?.[1];
    expect(metricsUrl, cli.line).to.be.a('string');
    expect(new URL(metricsUrl!).port).to.not.equal(new URL(cli.url).port);
    expect(await get(`${cli.url}/hello.txt`)).to.have.property('status', 200);
    const scrape = await eventually('the metrics port to count the request', 10_000, async () => {
      const answer = await get(metricsUrl!);
      return fileRequestsCounted(answer.text) >= 1 ? answer : undefined;
    });
    expect(scrape.status).to.equal(200);
    expect(fileRequestsCounted(scrape.text)).to.equal(1);
    // The main port no longer answers the metrics path: it is the site's (no such file).
    expect(await get(`${cli.url}/metrics`)).to.have.property('status', 404);

    // Combined: host ident user [time] "request" status bytes "referer" "user-agent".
    const accessLines = await eventually('the access-log line on stdout', 10_000, () => {
      const found = cli
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"GET /hello.txt HTTP/1.1" 200'));
      return found.length > 0 ? found : undefined;
    });
    expect(accessLines).to.have.length(1);
    expect(accessLines[0], accessLines[0]).to.match(/^127\.0\.0\.1 - - \[[^\]]+\] "GET \/hello\.txt HTTP\/1\.1" 200 \d+ "-" "[^"]+"$/);
    await stop(cli);
  });

  it('a LOG_LEVEL that is no level is a usage error (exit 2), like a bad flag', async () => {
    const result = await runCli(['serve', dir, '-p', '0', '-w', '1'], { env: { LOG_LEVEL: 'loud' } });
    expect(result.code).to.equal(2);
    expect(result.stderr)
      .to.include('PERCORE_ERR_INVALID_OPTION')
      .and.include('LOG_LEVEL must be one of')
      .and.include("see 'percore --help'");
    expect(result.stdout).to.equal('');
  });

  it('without the flags, /metrics and /healthz are the site’s paths (404), and stdout has the start-up line only', async () => {
    const cli = await serveCli([dir, '-p', '0', '-w', '1']);
    expect(cli.line).to.not.include('metrics').and.not.include('health').and.not.include('access log');
    expect(await get(`${cli.url}/metrics`)).to.have.property('status', 404);
    expect(await get(`${cli.url}/healthz`)).to.have.property('status', 404);
    expect(await get(`${cli.url}/hello.txt`)).to.have.property('status', 200);
    await stop(cli);
    expect(cli.stdout().trim().split('\n')).to.deep.equal([cli.line]);
  });
});

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
  } catch {
    return [];
  }
}

/** SIGTERM, and the drain's clean exit. */
async function stop(cli: Running): Promise<void> {
  cli.child.kill('SIGTERM');
  expect(await within(cli.exit, 15_000, 'the exit after SIGTERM')).to.equal(0);
}
