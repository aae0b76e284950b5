import { PercoreError } from '../errors.js';
import type { Handler } from '../http/api.js';

/** `serve({ health })`: a liveness and a readiness path for load balancers. */
export interface HealthOptions {
  /** 200 while the event loop answers (default '/healthz'). */
  livePath?: string;
  /** 200 while accepting, 503 from the moment a drain starts (default '/readyz'). */
  readyPath?: string;
  /**
   * The program's own readiness (its database connected, its cache warm): `/readyz` answers 200
   * only while this says yes and no drain has started. Called per check; keep it quick.
   */
  ready?: () => boolean;
}

export interface ResolvedHealthOptions {
  readonly livePath: string;
  readonly readyPath: string;
  readonly ready: (() => boolean) | null;
}

export function resolveHealthOptions(value: boolean | HealthOptions | undefined): ResolvedHealthOptions | null {
  if (value === undefined || value === false) return null;
  const options: HealthOptions = value === true ? {} : value;
  if (typeof options !== 'object' || options === null) throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'health: give true or an object');
  const livePath = options.livePath ?? '/healthz';
  const readyPath = options.readyPath ?? '/readyz';
  for (const [name, path] of [
    ['livePath', livePath],
    ['readyPath', readyPath],
  ] as const) {
    if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `health: ${name} must be an absolute path without a query, got ${String(path)}`);
    }
  }
  if (livePath === readyPath) throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'health: livePath and readyPath must differ');
  const ready = options.ready ?? null;
  if (ready !== null && typeof ready !== 'function') throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'health: ready must be a function');
  return { livePath, readyPath, ready };
}

/**
 * Answers the health paths in front of `next`. Readiness turns 503 as soon as `ready()` says no
 * (a drain has begun), while the connections still open are being answered, so a balancer stops
 * sending before the worker goes. Both answers are no-store, with the route set to the path.
 */
export function healthChecks(options: ResolvedHealthOptions, accepting: () => boolean, next: Handler): Handler {
  const { livePath, readyPath } = options;
  const own = options.ready;
  // A check that throws is a "no": a balancer should not send to a worker that cannot tell.
  const ownReady = () => {
    try {
      return own!() === true;
    } catch {
      return false;
    }
  };
  const ready = own === null ? accepting : () => accepting() && ownReady();
  return (req, res) => {
    const path = req.path;
    if (path !== livePath && path !== readyPath) return next(req, res);
    req.route = path;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.status = 405;
      res.setHeader('Allow', 'GET, HEAD');
      res.end();
    } else if (path === livePath) {
      res.end('ok\n');
    } else if (ready()) {
      res.end('ready\n');
    } else {
      res.status = 503;
      res.end(accepting() ? 'not ready\n' : 'draining\n');
    }
  };
}
