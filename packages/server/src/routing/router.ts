import { isPercoreError, PercoreError, statusForError } from '../errors.js';
import type { Handler, HttpRequest, HttpResponse } from '../http/api.js';
import { NO_PARAMS } from '../http/request-base.js';
import { prepareErrorPages, sendErrorPage, type ErrorPages } from './error-pages.js';
import { decodeParam } from './params.js';
import { checkMethod, invalidRoute, parsePattern, parsePrefix } from './pattern.js';
import { Captures, collectAllowed, Leaf, MOUNTED, Node, nodeFor, walk, type RouteEntry } from './tree.js';

export interface RouterOptions {
  /**
   * The most characters a `:name` parameter may have in the path as sent (before decoding, so
   * '%C3%A9' counts 6). Longer: 414, PERCORE_ERR_PARAM_TOO_LONG. `*` is not bounded (the request
   * line's limit is). Default 500.
   */
  maxParamLength?: number;
  /** Pages by status for what this router answers: 404, 405, 400, 414, a handler's failure. */
  errorPages?: ErrorPages;
}

/** What `find` returns: the handler that would run, its decoded params, its pattern with mount prefixes. */
export interface RouteMatch {
  readonly handler: Handler;
  readonly params: Readonly<Record<string, string>>;
  readonly route: string;
}

/**
 * The error pages of the routers a mounted router runs under, innermost first: a status it has no
 * page for takes theirs. Made only for a mount whose router has pages of its own.
 */
interface PageScope {
  readonly pages: ErrorPages;
  readonly outer: PageScope | null;
}

/** A mount: a plain handler, or a router that goes on matching the rest of the path. */
interface Mount {
  readonly prefix: string;
  readonly handler: Handler | null;
  readonly router: Router | null;
}

const DEFAULT_MAX_PARAM_LENGTH = 500;
const routers = new WeakMap<Handler, Router>();
const NO_ROUTE_PREFIX = '';

/**
 * A router: a Handler made of routes. Patterns are static segments, `:name` parameters and a
 * trailing `*`; at each segment a static match beats a parameter, which beats `*`, which beats
 * a mount, and a branch that leads nowhere gives way to the next (backtracking). Paths are matched
 * as sent (undecoded, without the query); parameters are decoded once. A path with routes but
 * none for the method is answered 405 with Allow; HEAD runs the GET route when it has none;
 * nothing: 404. These answers, and a handler's failure, take the router's error pages; a mounted
 * router's, for a status it has no page for, those of the routers above it. See docs/routing.md.
 */
export class Router {
  /** The handler to serve: `serve({ handler: router.handler })`. Bound: pass it as it is. */
  readonly handler: Handler;
  private readonly root = new Node<Mount>();
  /** Fully static patterns, by pattern: one Map hit for the most common routes. */
  private readonly statics = new Map<string, Leaf>();
  private readonly captures = new Captures<Mount>();
  private readonly maxParamLength: number;
  private readonly errorPages: ErrorPages | undefined;
  /** This router's pages as the scope of the routers it mounts, when it is not mounted itself. */
  private readonly ownScope: PageScope | null;
  /** Full route labels of this router's entries under each mount prefix ('/api' + '/users/:id'). */
  private readonly labels = new Map<string, Map<RouteEntry | Mount, string>>();

  constructor(options: RouterOptions = {}) {
    const { maxParamLength = DEFAULT_MAX_PARAM_LENGTH, errorPages } = options;
    if (!Number.isInteger(maxParamLength) || maxParamLength < 1) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `maxParamLength must be a positive integer, got ${String(maxParamLength)}`);
    }
    if (errorPages !== undefined) prepareErrorPages(errorPages);
    this.maxParamLength = maxParamLength;
    this.errorPages = errorPages;
    this.ownScope = errorPages === undefined ? null : { pages: errorPages, outer: null };
    this.handler = (req, res) => this.dispatch(req, res, NO_ROUTE_PREFIX, null, null);
    routers.set(this.handler, this);
  }

  get(pattern: string, handler: Handler): this {
    return this.on('GET', pattern, handler);
  }
  head(pattern: string, handler: Handler): this {
    return this.on('HEAD', pattern, handler);
  }
  post(pattern: string, handler: Handler): this {
    return this.on('POST', pattern, handler);
  }
  put(pattern: string, handler: Handler): this {
    return this.on('PUT', pattern, handler);
  }
  patch(pattern: string, handler: Handler): this {
    return this.on('PATCH', pattern, handler);
  }
  delete(pattern: string, handler: Handler): this {
    return this.on('DELETE', pattern, handler);
  }
  options(pattern: string, handler: Handler): this {
    return this.on('OPTIONS', pattern, handler);
  }
  /** Every method, below the method-specific routes of the same pattern. */
  all(pattern: string, handler: Handler): this {
    return this.add(null, pattern, handler);
  }

  /** Routes `method` (a case-sensitive token, RFC 9110 9.1: 'GET', 'PURGE', ...) or each of `methods`. */
  on(method: string | readonly string[], pattern: string, handler: Handler): this {
    const methods = typeof method === 'string' ? [method] : method;
    if (methods.length === 0) throw invalidRoute(pattern, 'no method given');
    for (const name of methods) checkMethod(name);
    for (const name of methods) this.add(name, pattern, handler);
    return this;
  }

  /**
   * Hands '/prefix' and '/prefix/...' (never '/prefixx') to `target`, for every method, with
   * `req.basePath` extended by the matched prefix. A Router goes on matching the rest ('' is
   * matched as '/'); a plain handler is labelled '<prefix>/*'. The prefix may hold `:params`.
   */
  mount(prefix: string, target: Handler | Router): this {
    const segments = parsePrefix(prefix);
    if (typeof target !== 'function' && !(target instanceof Router)) throw invalidRoute(prefix, 'mount a handler or a Router');
    const router = target instanceof Router ? target : (routers.get(target) ?? null);
    if (router === this) throw invalidRoute(prefix, 'a router cannot mount itself');
    const node = nodeFor(this.root, segments, prefix);
    if (node.mount !== null) throw invalidRoute(prefix, 'something is already mounted there');
    node.mount = { prefix: prefix === '/' ? '' : prefix, handler: router === null ? (target as Handler) : null, router };
    return this;
  }

  /**
   * The route `method` and `path` would run, as the handler would choose it (mounted routers
   * included), or null for no route for that method. Throws PERCORE_ERR_INVALID_PATH or
   * PERCORE_ERR_PARAM_TOO_LONG for a parameter the handler would refuse.
   */
  find(method: string, path: string): RouteMatch | null {
    return this.findUnder(method, path === '' ? '/' : path, NO_ROUTE_PREFIX, null);
  }

  private findUnder(method: string, path: string, routePrefix: string, parentParams: Record<string, string> | null): RouteMatch | null {
    const leaf = this.statics.get(path);
    const direct = leaf?.pick(method) ?? null;
    if (direct !== null) return { handler: direct.handler, params: parentParams ?? NO_PARAMS, route: this.label(routePrefix, direct) };
    const entry = this.match(path, method);
    if (entry === null) return null;
    const params = this.params(path, parentParams);
    if (entry !== MOUNTED) return { handler: entry.handler, params, route: this.label(routePrefix, entry) };
    const mount = this.captures.mount!;
    const rest = path.slice(this.captures.mountEnd);
    if (mount.router !== null) return mount.router.findUnder(method, rest === '' ? '/' : rest, routePrefix + mount.prefix, params);
    return { handler: mount.handler!, params, route: this.label(routePrefix, mount) };
  }

  private add(method: string | null, pattern: string, handler: Handler): this {
    if (typeof handler !== 'function') throw invalidRoute(pattern, 'the handler must be a function');
    const segments = parsePattern(pattern);
    const wildcard = segments.at(-1)?.kind === 'wildcard';
    const node = nodeFor(this.root, wildcard ? segments.slice(0, -1) : segments, pattern);
    const leaf = wildcard ? (node.wildcard ??= new Leaf()) : (node.leaf ??= new Leaf());
    leaf.add(method, { handler, pattern });
    if (segments.every((segment) => segment.kind === 'static')) this.statics.set(pattern, leaf);
    return this;
  }

  /** The walk from the root; leaves the captures (and the mount) in `this.captures`. */
  private match(path: string, method: string): RouteEntry | null {
    const captures = this.captures;
    captures.count = 0;
    captures.mount = null;
    if (path.charCodeAt(0) !== 0x2f /* '/' */) return null;
    return walk(this.root, path, 0, method, captures);
  }

  /** The captured parameters, decoded, over the mount's above; throws for one the bounds refuse. */
  private params(path: string, parentParams: Record<string, string> | null): Record<string, string> {
    const { count, names, bounds } = this.captures;
    if (count === 0) return parentParams ?? NO_PARAMS;
    const params: Record<string, string> = parentParams === null ? {} : { ...parentParams };
    for (let i = 0; i < count; i++) {
      const name = names[i]!;
      params[name] = decodeParam(name, path.slice(bounds[2 * i]!, bounds[2 * i + 1]!), this.maxParamLength);
    }
    return params;
  }

  private label(routePrefix: string, entry: RouteEntry | Mount): string {
    const own = 'pattern' in entry ? entry.pattern : `${entry.prefix}/*`;
    if (routePrefix === NO_ROUTE_PREFIX) return own;
    let labels = this.labels.get(routePrefix);
    if (labels === undefined) this.labels.set(routePrefix, (labels = new Map<RouteEntry | Mount, string>()));
    let label = labels.get(entry);
    // A mounted router's '/' is labelled by the prefix alone: it answers '/api' as well as '/api/'.
    if (label === undefined) labels.set(entry, (label = own === '/' ? routePrefix : routePrefix + own));
    return label;
  }

  private dispatch(
    req: HttpRequest,
    res: HttpResponse,
    routePrefix: string,
    parentParams: Record<string, string> | null,
    outerPages: PageScope | null,
  ): void | Promise<void> {
    const method = req.method;
    const base = req.basePath.length;
    let path = base === 0 ? req.path : req.path.slice(base);
    if (path === '') path = '/';
    // The common case: a fully static route, one Map hit.
    const leaf = this.statics.get(path);
    if (leaf !== undefined) {
      const entry = leaf.pick(method);
      if (entry !== null) {
        req.params = parentParams ?? NO_PARAMS;
        req.route = this.label(routePrefix, entry);
        return this.run(entry.handler, req, res, outerPages);
      }
    }
    const entry = this.match(path, method);
    if (entry === null) return this.answerNoMatch(req, res, path, outerPages);
    let params: Record<string, string>;
    try {
      params = this.params(path, parentParams);
    } catch (error) {
      return this.fail(req, res, error, outerPages);
    }
    req.params = params;
    if (entry !== MOUNTED) {
      req.route = this.label(routePrefix, entry);
      return this.run(entry.handler, req, res, outerPages);
    }
    const mount = this.captures.mount!;
    req.basePath += path.slice(0, this.captures.mountEnd);
    if (mount.router !== null) return mount.router.dispatch(req, res, routePrefix + mount.prefix, params, this.scopeUnder(outerPages));
    req.route = this.label(routePrefix, mount);
    return this.run(mount.handler!, req, res, outerPages);
  }

  /** The scope a router mounted here answers under: these pages over `outerPages`. */
  private scopeUnder(outerPages: PageScope | null): PageScope | null {
    if (this.errorPages === undefined) return outerPages;
    return outerPages === null ? this.ownScope : { pages: this.errorPages, outer: outerPages };
  }

  /** The pages that have one for `status`: this router's, else those of the routers it is mounted in. */
  private pagesFor(status: number, outerPages: PageScope | null): ErrorPages | undefined {
    if (this.errorPages?.[status] !== undefined) return this.errorPages;
    for (let scope = outerPages; scope !== null; scope = scope.outer) if (scope.pages[status] !== undefined) return scope.pages;
    return undefined;
  }

  /** 405 with Allow when some method has a route for the path (RFC 9110 15.5.6), else 404. */
  private answerNoMatch(req: HttpRequest, res: HttpResponse, path: string, outerPages: PageScope | null): void | Promise<void> {
    const allowed = new Set<string>();
    if (path.charCodeAt(0) === 0x2f) collectAllowed(this.root, path, 0, allowed);
    if (allowed.size === 0) return sendErrorPage(req, res, 404, this.pagesFor(404, outerPages));
    return sendErrorPage(req, res, 405, this.pagesFor(405, outerPages), { Allow: [...allowed].sort().join(', ') });
  }

  private run(handler: Handler, req: HttpRequest, res: HttpResponse, outerPages: PageScope | null): void | Promise<void> {
    let result: void | Promise<void>;
    try {
      result = handler(req, res);
    } catch (error) {
      return this.fail(req, res, error, outerPages);
    }
    if (result instanceof Promise) return result.then(undefined, (error: unknown) => this.fail(req, res, error, outerPages));
    return result;
  }

  /**
   * A handler failed. With the head unsent and the client there: the error page for
   * statusForError(error), then, for a 5xx, the error goes on to the engine, which logs it
   * (PERCORE_ERR_HANDLER_FAILED) and does nothing more, the response having ended. Otherwise
   * the error goes on as it is: the engine cuts a half-sent response, ignores a finished one.
   */
  private fail(req: HttpRequest, res: HttpResponse, error: unknown, outerPages: PageScope | null): void | Promise<void> {
    if (res.headersSent || res.finished || res.aborted || (isPercoreError(error) && error.code === 'PERCORE_ERR_ABORTED')) throw error;
    const status = statusForError(error);
    // Before the page goes out: its end settles the observer's record, which reports this error.
    if (status >= 500) req.handlerError = error;
    const sent = sendErrorPage(req, res, status, this.pagesFor(status, outerPages));
    if (status < 500) return sent;
    if (sent instanceof Promise) {
      return sent.then(() => {
        throw error;
      });
    }
    throw error;
  }
}
