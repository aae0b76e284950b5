/**
 * Traffic for a scraped cluster: requests on fresh connections (so the kernel deals them out to
 * the workers), and scrapes read straight from /metrics.
 */
import { request } from 'node:http';
import { expect } from 'chai';

export interface Reply {
  status: number;
  body: string;
}

/** One GET on a connection of its own, bounded by `timeoutMs`. */
export function getOnce(url: string, timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * GET /users/<n> in rounds of `batch` fresh connections until at least `minimum` were sent and
 * `workers` distinct workers have answered some (bounded: at most 1000 requests). Every reply
 * must be a 200 with a worker's pid, none of `gone`. Resolves with the number sent and the pids
 * that answered.
 */
export async function readUsersOnEveryWorker(
  baseUrl: string,
  workers: number,
  minimum: number,
  gone: readonly number[] = [],
  batch = 25,
): Promise<{ sent: number; pids: number[] }> {
  const served = new Map<number, number>();
  let sent = 0;
  while (sent < minimum || served.size < workers) {
    expect(sent, `requests sent before ${workers} workers answered some (served: ${JSON.stringify([...served])})`).to.be.below(1000);
    const replies = await Promise.all(Array.from({ length: batch }, (_, index) => getOnce(`${baseUrl}/users/${sent + index}`)));
    sent += batch;
    for (const reply of replies) {
      expect(reply.status).to.equal(200);
      const pid = Number(reply.body);
      expect(Number.isInteger(pid) && pid > 0, `a pid: ${JSON.stringify(reply.body)}`).to.equal(true);
      expect(gone, `pid ${pid} answered after it was killed`).to.not.include(pid);
      served.set(pid, (served.get(pid) ?? 0) + 1);
    }
  }
  expect(served.size, `workers that answered: ${JSON.stringify([...served])}`).to.equal(workers);
  return { sent, pids: [...served.keys()].sort((a, b) => a - b) };
}

/** A sample's value in a scrape's text, by its exact series ('name{labels}'); undefined if absent. */
export function sampleValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
