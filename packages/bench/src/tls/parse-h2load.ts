/** Parses h2load's report (nghttp2's load generator), and the TLS lines ab prints. */

/** What the TLS bench needs from one h2load or ab run. */
export interface TlsToolResult {
  /** Successful (2xx) requests per second: for ab without -k, full handshakes per second too. */
  perSecond: number;
  succeeded: number;
  /** Requests that failed, errored or timed out (h2load), or ab's failed and non-2xx ones. */
  failed: number;
  /** As the tool saw the handshake: "TLSv1.3", "TLS_AES_256_GCM_SHA384", "X25519 253 bits"; null if it printed none. */
  protocol: string | null;
  cipher: string | null;
  keyExchange: string | null;
  /** The ALPN protocol h2load used ("h2", "http/1.1"); null for ab, which offers none. */
  application: string | null;
}

/**
 * h2load's figures. Its "req/s" is the requests done in the main duration over that duration
 * ("finished in" includes --warm-up-time): the rate here is that, scaled by the 2xx share of
 * the requests done (its status codes line), so only successes count.
 */
export function parseH2load(output: string): TlsToolResult {
  const finished = /^finished in ([\d.]+)(s|ms|us), ([\d.]+) req\/s/m.exec(output);
  const requests = /^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m.exec(
    output,
  );
  const statuses = /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/m.exec(output);
  if (finished === null || requests === null || statuses === null) throw new Error(`not h2load output: ${lastLine(output)}`);
  const rate = Number(finished[3]);
  const [done, failed] = [3, 5].map((i) => Number(requests[i]));
  const ok = Number(statuses[1]);
  const notOk = Number(statuses[2]) + Number(statuses[3]) + Number(statuses[4]);
  return {
    perSecond: done! > 0 ? (rate * ok) / done! : 0,
    succeeded: ok,
    // h2load counts errored and timed-out requests among the failed ones.
    failed: failed! + notOk,
    protocol: field(output, 'TLS Protocol'),
    cipher: field(output, 'Cipher'),
    keyExchange: field(output, 'Server Temp Key'),
    application: field(output, 'Application protocol'),
  };
}

/** ab's TLS lines: "SSL/TLS Protocol: TLSv1.3,TLS_AES_256_GCM_SHA384,256,256" and "Server Temp Key: X25519 253 bits". */
export function abTls(output: string): Pick<TlsToolResult, 'protocol' | 'cipher' | 'keyExchange'> {
  const line = field(output, 'SSL/TLS Protocol');
  const [protocol, cipher] = line === null ? [null, null] : line.split(',');
  return { protocol: protocol ?? null, cipher: cipher ?? null, keyExchange: field(output, 'Server Temp Key') };
}

function field(output: string, name: string): string | null {
  const match = new RegExp(`^${name.replace(/[/]/g, '\\/')}:\\s*(.+?)\\s*$`, 'm').exec(output);
  return match ? match[1]! : null;
}

function lastLine(output: string): string {
  return (
    output
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .at(-1) ?? '(no output)'
  );
}
