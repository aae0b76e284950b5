// Rules cited as "rule N": docs/uws-rules.md
import type { HttpRequest as NativeRequest, HttpResponse as NativeResponse, us_socket_context_t } from 'uws-node18-23';
import { PercoreError, statusForError } from '../errors.js';
import { buildHeaderRecord } from '../http/header-record.js';
import { reasonPhrase } from '../http/status.js';
import {
  isThenable,
  rejectUpgrade,
  UpgradeRejection,
  type UpgradeRequest,
  type UpgradeResult,
  type WebSocketBehavior,
} from '../websocket/api.js';
import { checkHandshake, isWebSocketAttempt, offeredProtocols } from '../websocket/handshake.js';
import type { RoutePattern } from '../websocket/route-pattern.js';
import type { NativeUserData, Slot, WebSocketHost } from './websocket-connection.js';

/**
 * One upgrade request, kept to uWS's rules: the request is copied before anything else (rule 5),
 * onAborted is registered before the hook's promise is awaited (rule 2), and after the await the
 * upgrade or refusal is written inside res.cork (rule 3).
 */
export class Upgrade<UserData> implements UpgradeRequest {
  readonly method: string;
  readonly target: string;
  readonly path: string;
  readonly query: string;
  readonly params: Readonly<Record<string, string>>;
  readonly rawHeaders: readonly string[];
  readonly remoteAddress: string;
  readonly protocols: readonly string[];
  private readonly key: string;
  private readonly extensions: string;
  private readonly refusal: UpgradeRejection | null;
  private readonly abort = new AbortController();
  private headerRecord: Record<string, string> | null = null;
  private inCallback = true;
  private aborted = false;

  constructor(
    private readonly host: WebSocketHost,
    private readonly behavior: WebSocketBehavior<UserData>,
    parameterNames: readonly string[],
    private readonly res: NativeResponse,
    req: NativeRequest,
    private readonly context: us_socket_context_t,
  ) {
    this.method = req.getCaseSensitiveMethod();
    this.path = req.getUrl();
    this.query = req.getQuery() ?? '';
    this.target = this.query === '' ? this.path : `${this.path}?${this.query}`;
    const params: Record<string, string> = Object.create(null);
    parameterNames.forEach((name, index) => (params[name] = req.getParameter(index) ?? ''));
    this.params = params;
    const raw: string[] = [];
    req.forEach((name, value) => raw.push(name, value));
    this.rawHeaders = raw;
    this.key = req.getHeader('sec-websocket-key');
    this.extensions = req.getHeader('sec-websocket-extensions');
    // uWS upgrades any GET with a 24-character key: the rest of RFC 6455 4.2.1 is checked here.
    this.refusal = checkHandshake({
      method: this.method,
      upgrade: req.getHeader('upgrade'),
      connection: req.getHeader('connection'),
      key: this.key,
      version: req.getHeader('sec-websocket-version'),
    });
    this.protocols = offeredProtocols(req.getHeader('sec-websocket-protocol'));
    this.remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString('latin1');
  }

  get headers(): Readonly<Record<string, string>> {
    return (this.headerRecord ??= buildHeaderRecord(this.rawHeaders));
  }

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Runs inside uWS's upgrade callback. */
  run(): void {
    if (this.refusal !== null) {
      this.refuse(this.refusal);
      return;
    }
    if (this.host.draining) {
      this.refuse(rejectUpgrade(503));
      return;
    }
    const hook = this.behavior.upgrade;
    if (hook === undefined) {
      this.settle({} as UserData);
      return;
    }
    let result: UpgradeResult<UserData> | Promise<UpgradeResult<UserData>>;
    try {
      result = hook(this);
    } catch (error) {
      this.failed(error);
      return;
    }
    if (!isThenable(result)) {
      this.settle(result as UpgradeResult<UserData>);
      return;
    }
    // Going asynchronous: without an abort handler uWS would abort the process (rule 2).
    this.res.onAborted(() => {
      this.aborted = true;
      this.abort.abort(new PercoreError('PERCORE_ERR_ABORTED', 'the client went away during the upgrade'));
    });
    this.inCallback = false;
    this.host.upgradeStarted();
    (result as Promise<UpgradeResult<UserData>>)
      .then(
        (value) => this.settle(value),
        (error: unknown) => this.failed(error),
      )
      .finally(() => this.host.upgradeEnded());
  }

  private settle(result: UpgradeResult<UserData>): void {
    if (this.aborted) return;
    if (result instanceof UpgradeRejection) {
      this.refuse(result);
      return;
    }
    if (this.host.draining) {
      this.refuse(rejectUpgrade(503));
      return;
    }
    let protocol: string | undefined;
    try {
      protocol = this.behavior.selectProtocol ? this.behavior.selectProtocol(this.protocols, this) : this.protocols[0];
      if (protocol !== undefined && !this.protocols.includes(protocol)) {
        throw new PercoreError(
          'PERCORE_ERR_UPGRADE_FAILED',
          `selectProtocol chose ${JSON.stringify(protocol)}, which the client did not offer (RFC 6455 4.2.2)`,
        );
      }
    } catch (error) {
      this.failed(error);
      return;
    }
    const slot: Slot<UserData> = { data: result, protocol: protocol ?? '', path: this.path, remoteAddress: this.remoteAddress, socket: null };
    const userData: NativeUserData = { percore: slot as Slot<unknown> };
    this.corked(() => this.res.upgrade(userData, this.key, protocol ?? '', this.extensions, this.context));
  }

  private failed(error: unknown): void {
    if (this.aborted) return;
    if (error instanceof UpgradeRejection) {
      this.refuse(error);
      return;
    }
    const status = statusForError(error);
    if (status >= 500) this.host.logger.error('PERCORE_ERR_UPGRADE_FAILED', `the upgrade hook for ${this.path} failed`, error);
    this.refuse(new UpgradeRejection(status));
  }

  /** Answers with the refusal and closes the connection: the client asked to leave HTTP behind. */
  private refuse(rejection: UpgradeRejection): void {
    if (this.aborted) return;
    this.corked(() => writeRejection(this.res, rejection));
  }

  private corked(write: () => void): void {
    if (this.inCallback) write();
    else this.res.cork(write);
  }
}

/** Writes a refused upgrade and closes the connection (inside uWS's callback, or corked). */
export function writeRejection(res: NativeResponse, rejection: UpgradeRejection): void {
  res.writeStatus(`${rejection.status} ${reasonPhrase(rejection.status)}`);
  let typed = false;
  for (const [name, value] of Object.entries(rejection.headers)) {
    if (name.toLowerCase() === 'content-type') typed = true;
    res.writeHeader(name, value);
  }
  if (!typed && rejection.body !== '') res.writeHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(rejection.body, true);
}

/**
 * For the HTTP routes: uWS hands a WebSocket route only requests with a 24-character key, and
 * gives the rest to HTTP as plain requests. One that means to open a WebSocket on a WebSocket
 * route is answered here instead, with the handshake's refusal. Returns whether it was.
 */
export function refusedHandshake(res: NativeResponse, req: NativeRequest, patterns: readonly RoutePattern[]): boolean {
  const upgrade = req.getHeader('upgrade');
  const key = req.getHeader('sec-websocket-key');
  if (!isWebSocketAttempt(upgrade === '' ? undefined : upgrade, key === '' ? undefined : key)) return false;
  const path = req.getUrl();
  if (!patterns.some((pattern) => pattern.match(path) !== null)) return false;
  const refusal =
    checkHandshake({
      method: req.getCaseSensitiveMethod(),
      upgrade,
      connection: req.getHeader('connection'),
      key,
      version: req.getHeader('sec-websocket-version'),
    }) ?? new UpgradeRejection(400, 'Bad Request: malformed WebSocket handshake (RFC 6455 4.2.1)\n');
  writeRejection(res, refusal);
  return true;
}
