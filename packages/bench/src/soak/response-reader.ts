/** One HTTP/1.x response as the soak's clients see it. */
export interface SoakResponse {
  status: number;
  /** Field names in lower case; a repeated field keeps its last value. */
  headers: Map<string, string>;
  body: Buffer;
}

/** The response stream broke the HTTP/1.1 framing: a wrong answer, whatever the status. */
export class FramingError extends Error {}

const MAX_HEAD = 64 * 1024;

/**
 * Splits the bytes a server sends into responses, one per request the client says it sent
 * (expect), in order. Framing is by Content-Length only: the hello server sends no chunked
 * replies, so a response without a length is a framing error. RFC 9112 6.3: a response to HEAD
 * has no body, whatever its Content-Length says; that is what lets a pipeline mixing GET and
 * HEAD check its answers' order.
 */
export class ResponseReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly methods: string[] = [];

  /** Registers a request sent, so its response is framed as that method's. */
  expect(method: string): void {
    this.methods.push(method);
  }

  /** Requests sent whose responses have not come yet. */
  get pending(): number {
    return this.methods.length;
  }

  /** Bytes received that are not yet a whole response. */
  get partial(): number {
    return this.buffered.length;
  }

  /** Feeds received bytes; returns the responses they completed. Throws FramingError. */
  feed(chunk: Buffer): SoakResponse[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const done: SoakResponse[] = [];
    for (;;) {
      if (this.buffered.length === 0) break;
      const headEnd = this.buffered.indexOf('\r\n\r\n', 0, 'latin1');
      if (headEnd < 0) {
        if (this.buffered.length > MAX_HEAD) throw new FramingError(`no end of head within ${MAX_HEAD} bytes`);
        break;
      }
      if (this.methods.length === 0) {
        throw new FramingError(`a response nobody asked for: ${JSON.stringify(this.buffered.subarray(0, 80).toString('latin1'))}`);
      }
      const { status, headers } = parseHead(this.buffered.subarray(0, headEnd).toString('latin1'));
      const method = this.methods[0]!;
      const noBody = method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
      let length = 0;
      if (!noBody) {
        const text = headers.get('content-length');
        if (headers.has('transfer-encoding')) throw new FramingError(`unexpected Transfer-Encoding: ${headers.get('transfer-encoding')}`);
        if (text === undefined || !/^\d+$/.test(text)) throw new FramingError(`status ${status} without a valid Content-Length (${text})`);
        length = Number(text);
      }
      const bodyStart = headEnd + 4;
      if (this.buffered.length < bodyStart + length) break;
      // Interim (1xx) replies answer no request of their own.
      if (status >= 200) this.methods.shift();
      done.push({ status, headers, body: Buffer.from(this.buffered.subarray(bodyStart, bodyStart + length)) });
      this.buffered = this.buffered.subarray(bodyStart + length);
    }
    return done;
  }
}

function parseHead(head: string): { status: number; headers: Map<string, string> } {
  const lines = head.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*$/.exec(lines[0]!);
  if (match === null) throw new FramingError(`not a status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new FramingError(`not a header field: ${JSON.stringify(line.slice(0, 80))}`);
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(match[1]), headers };
}
