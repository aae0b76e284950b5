/**
 * redis-benchmark's `--csv` output (7.x): a header line, then one quoted row per test:
 *   "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
 *   "PING_INLINE","49627.79","10.100","1.112","10.319","13.399","15.015","17.775"
 */
export interface RedisBenchmarkRow {
  test: string;
  rps: number;
  p50Ms: number | null;
}

export class RedisCsvError extends Error {}

export function parseRedisBenchmarkCsv(text: string): RedisBenchmarkRow[] {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (lines.length === 0) throw new RedisCsvError('redis-benchmark printed nothing');
  const header = cells(lines[0]!);
  const testAt = header.indexOf('test');
  const rpsAt = header.indexOf('rps');
  const p50At = header.indexOf('p50_latency_ms');
  if (testAt === -1 || rpsAt === -1) throw new RedisCsvError(`not redis-benchmark --csv output (header ${JSON.stringify(lines[0])})`);
  return lines.slice(1).map((line) => {
    const row = cells(line);
    const rps = Number(row[rpsAt]);
    if (row.length !== header.length || !Number.isFinite(rps) || rps <= 0) throw new RedisCsvError(`bad row: ${JSON.stringify(line)}`);
    const p50 = p50At === -1 ? NaN : Number(row[p50At]);
    return { test: row[testAt]!, rps, p50Ms: Number.isFinite(p50) ? p50 : null };
  });
}

/** Splits one CSV line of double-quoted cells (a quote inside is doubled). */
function cells(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= line.length) throw new RedisCsvError(`unterminated quote: ${JSON.stringify(line)}`);
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else {
          value += line[i++];
        }
      }
      out.push(value);
    } else {
      const comma = line.indexOf(',', i);
      const end = comma === -1 ? line.length : comma;
      out.push(line.slice(i, end));
      i = end;
    }
    if (line[i] === ',') i++;
    else break;
  }
  return out;
}
