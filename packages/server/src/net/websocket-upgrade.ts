import { isPercoreError, PercoreError, statusForError } from '../errors.js';
import type { HttpRequest, HttpResponse } from '../http/api.js';
import type { TaskContext } from '../scheduler/task.js';
import { isThenable, rejectUpgrade, UpgradeRejection, type UpgradeRequest, type UpgradeResult } from '../websocket/api.js';
import { acceptKey, checkHandshake, offeredProtocols } from '../websocket/handshake.js';
import { negotiateDeflate, type DeflateParams } from '../websocket/permessage-deflate.js';
import type { WebSocketRoute } from './websocket-route.js';
import { WebSocketTask, type WebSocketServerSide } from './websocket-task.js';

/** What the upgrade needs from the hub. */
export interface UpgradeHost extends WebSocketServerSide {
  readonly draining: boolean;
}

/**
 * One opening handshake on the net engine (RFC 6455 4.2.2): checked, decided by the route's
 * `upgrade` hook (now or later), then answered with 101 and handed to a WebSocketTask with the
 * bytes read past it, or refused with an HTTP response that closes the connection.
 */
export class NetUpgrade implements UpgradeRequest {
  readonly protocols: readonly string[];

  constructor(
    private readonly host: UpgradeHost,
    private readonly route: WebSocketRoute,
    readonly params: Readonly<Record<string, string>>,
    private readonly req: HttpRequest,
    private readonly res: HttpResponse,
  ) {
    this.protocols = offeredProtocols(req.header('sec-websocket-protocol'));
  }

  get method(): string {
    return this.req.method;
  }
  get target(): string {
    return this.req.target;
  }
  get path(): string {
    return this.req.path;
  }
  get query(): string {
    return this.req.query;
  }
  get headers(): Readonly<Record<string, string>> {
    return this.req.headers;
  }
  header(name: string): string | undefined {
    return this.req.header(name);
  }
  get rawHeaders(): readonly string[] {
    return this.req.rawHeaders;
  }
  get remoteAddress(): string {
    return this.req.remoteAddress;
  }
  get signal(): AbortSignal {
    return this.res.signal;
  }

  run(): void | Promise<void> {
    const req = this.req;
    const refusal = checkHandshake({
      method: req.method,
      upgrade: req.header('upgrade'),
      connection: req.header('connection'),
      key: req.header('sec-websocket-key'),
      version: req.header('sec-websocket-version'),
    });
    if (refusal !== null) return this.refuse(refusal);
    // RFC 6455 4.1: the handshake is HTTP/1.1 or later.
    if (req.httpVersion === '1.0')
      return this.refuse(new UpgradeRejection(400, 'Bad Request: a WebSocket handshake is HTTP/1.1 (RFC 6455 4.1)\n'));
    if (this.host.draining) return this.refuse(rejectUpgrade(503));
    const hook = this.route.behavior.upgrade;
    if (hook === undefined) return this.settle({});
    let result: ReturnType<NonNullable<typeof hook>>;
    try {
      result = hook(this);
    } catch (error) {
      return this.failed(error);
    }
    if (!isThenable(result)) return this.settle(result);
    return (result as Promise<UpgradeResult<unknown>>).then(
      (value) => this.settle(value),
      (error: unknown) => this.failed(error),
    );
  }

  private settle(result: UpgradeResult<unknown>): void {
    if (this.res.aborted) return;
    if (result instanceof UpgradeRejection) return this.refuse(result);
    if (this.host.draining) return this.refuse(rejectUpgrade(503));
    const behavior = this.route.behavior;
    let protocol: string | undefined;
    let deflate: { params: DeflateParams; response: string } | null = null;
    try {
      protocol = behavior.selectProtocol ? behavior.selectProtocol(this.protocols, this) : this.protocols[0];
      if (protocol !== undefined && !this.protocols.includes(protocol)) {
        throw new PercoreError(
          'PERCORE_ERR_UPGRADE_FAILED',
          `selectProtocol chose ${JSON.stringify(protocol)}, which the client did not offer (RFC 6455 4.2.2)`,
        );
      }
      if (this.route.deflate !== null) deflate = negotiateDeflate(this.req.header('sec-websocket-extensions'), this.route.deflate);
    } catch (error) {
      return this.failed(error);
    }
    const headers: Record<string, string> = { 'Sec-WebSocket-Accept': acceptKey(this.req.header('sec-websocket-key')!) };
    if (protocol !== undefined) headers['Sec-WebSocket-Protocol'] = protocol;
    if (deflate !== null) headers['Sec-WebSocket-Extensions'] = deflate.response;
    const setup = {
      route: this.route,
      data: result,
      protocol: protocol ?? '',
      path: this.req.path,
      remoteAddress: this.req.remoteAddress,
      deflate: deflate === null ? null : deflate.params,
    };
    const host = this.host;
    try {
      this.res.upgrade('websocket', (context: TaskContext, head: Buffer) => new WebSocketTask(context, head, host, setup), headers);
    } catch (error) {
      // The request cannot switch protocols here (its body is still arriving, or it came as HTTP/1.0).
      if (isPercoreError(error) && error.code === 'PERCORE_ERR_UPGRADE_NOT_REQUESTED') {
        return this.refuse(new UpgradeRejection(400, `Bad Request: ${error.message}\n`));
      }
      throw error;
    }
  }

  private failed(error: unknown): void {
    if (this.res.aborted) return;
    if (error instanceof UpgradeRejection) return this.refuse(error);
    const status = statusForError(error);
    if (status >= 500) this.host.logger.error('PERCORE_ERR_UPGRADE_FAILED', `the upgrade hook for ${this.req.path} failed`, error);
    this.refuse(new UpgradeRejection(status, isPercoreError(error) && status < 500 ? `${error.message}\n` : undefined));
  }

  /** Answers with the refusal and closes the connection: the client asked to leave HTTP behind. */
  private refuse(rejection: UpgradeRejection): void {
    const res = this.res;
    if (res.aborted || res.headersSent) return;
    res.status = rejection.status;
    let typed = false;
    for (const [name, value] of Object.entries(rejection.headers)) {
      if (name.toLowerCase() === 'content-type') typed = true;
      res.setHeader(name, value);
    }
    if (!typed && rejection.body !== '') res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Connection', 'close');
    res.end(rejection.body);
  }
}
