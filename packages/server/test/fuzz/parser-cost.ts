/**
 * What the parser costs per request, for checking that a change to it (such as the Host check)
 * keeps the hot path fast. Not a test: timings are printed, never asserted.
 *
 *   npx tsx test/fuzz/parser-cost.ts [src-dir] [rounds]
 *
 * `src-dir` is a copy of packages/server/src (default: this checkout's), so another revision
 * can be measured the same way: git archive <rev> packages/server/src | tar -x -C /tmp/rev
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const srcDir = resolve(process.argv[2] ?? new URL('../../src', import.meta.url).pathname);
const rounds = Number(process.argv[3] ?? 7);
const { RequestParser, ParseEvent } = (await import(
  pathToFileURL(`${srcDir}/net/parser.ts`).href
)) as typeof import('../../src/net/parser.js');
const { defaultHttpOptions } = (await import(pathToFileURL(`${srcDir}/http/options.ts`).href)) as typeof import('../../src/http/options.js');

const requests = {
  'hello GET (wrk-like)': 'GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n',
  'browser GET (10 fields)':
    'GET /a/b/c?x=1&y=2 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0\r\n' +
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n' +
    'Accept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\nCookie: a=1; b=2; session=0123456789abcdef\r\n' +
    'Upgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\nCache-Control: max-age=0\r\n\r\n',
  'POST, 16-byte body':
    'POST /api HTTP/1.1\r\nHost: [::1]:8080\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"hello":"abcd"}',
};

/** 64 pipelined copies per buffer, parsed by one parser, as a keep-alive connection would. */
function measure(raw: string): number {
  const buffer = Buffer.from(raw.repeat(64), 'latin1');
  const parser = new RequestParser(defaultHttpOptions, { onBody: () => {} });
  const iterations = 2_000;
  const started = process.hrtime.bigint();
  for (let n = 0; n < iterations; n++) {
    let offset = 0;
    while (offset < buffer.length) {
      offset = parser.execute(buffer, offset);
      if (parser.event === ParseEvent.Error) throw new Error(parser.error!);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (iterations * 64) / seconds;
}

console.log(`parser at ${srcDir}, ${rounds} rounds, node ${process.version}`);
for (const [name, raw] of Object.entries(requests)) {
  measure(raw); // warm-up
  const rates = Array.from({ length: rounds }, () => measure(raw)).sort((a, b) => a - b);
  const median = rates[rates.length >> 1]!;
  console.log(
    `  ${name.padEnd(26)} median ${(median / 1e6).toFixed(2)} M req/s (min ${(rates[0]! / 1e6).toFixed(2)}, max ${(rates.at(-1)! / 1e6).toFixed(2)})`,
  );
}
