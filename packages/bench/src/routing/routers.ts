import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { RouteDef } from './routes.js';

/** The two routers under test. */
export type RouterKind = 'percore' | 'find-my-way';
export const ROUTER_KINDS: readonly RouterKind[] = ['percore', 'find-my-way'];

/** A lookup as both routers are asked it: `find(method, path)`, whatever each returns. */
export interface Lookup {
  find(method: string, path: string): unknown;
}

/** What a lookup matched, the same way for both routers: the route's pattern and its params, or null. */
export interface Match {
  pattern: string;
  params: Record<string, string>;
}

/** A built router: its `find` for the timing loop, and `match` to check what it found. */
export interface BuiltRouter {
  kind: RouterKind;
  lookup: Lookup;
  match(method: string, path: string): Match | null;
}

type Handler = (...args: unknown[]) => void;

/** One handler per route, each its own function, so a match names its route by identity. */
function handlersFor(routes: readonly RouteDef[]): Map<Handler, RouteDef> {
  const byHandler = new Map<Handler, RouteDef>();
  for (const route of routes) byHandler.set(() => void route, route);
  return byHandler;
}

function matchOf(byHandler: Map<Handler, RouteDef>, found: unknown): Match | null {
  if (found === null || typeof found !== 'object') return null;
  const { handler, params } = found as { handler?: unknown; params?: Record<string, string> };
  const route = typeof handler === 'function' ? byHandler.get(handler as Handler) : undefined;
  if (route === undefined) return null;
  return { pattern: route.pattern, params: { ...(params ?? {}) } };
}

/** percore's build: packages/server/dist, or `dist` (PERCORE_DIST) to measure another build. */
export function percoreDistUrl(dist = process.env.PERCORE_DIST): URL {
  return dist ? pathToFileURL(`${dist.replace(/\/$/, '')}/index.js`) : new URL('../../../server/dist/index.js', import.meta.url);
}

interface PercoreRouter {
  find(method: string, path: string): unknown;
  [method: string]: unknown;
}

export async function buildRouter(kind: RouterKind, routes: readonly RouteDef[], dist?: string): Promise<BuiltRouter> {
  const byHandler = handlersFor(routes);
  if (kind === 'find-my-way') {
    const require = createRequire(import.meta.url);
    const FindMyWay = require('find-my-way') as (options?: object) => {
      on(method: string, path: string, handler: Handler): void;
      find(method: string, path: string): unknown;
    };
    const router = FindMyWay();
    for (const [handler, route] of byHandler) router.on(route.method, route.pattern, handler);
    return { kind, lookup: router, match: (method, path) => matchOf(byHandler, router.find(method, path)) };
  }
  const { Router } = (await import(percoreDistUrl(dist).href)) as { Router?: new () => PercoreRouter };
  if (typeof Router !== 'function') throw new Error(`no Router in ${percoreDistUrl(dist).pathname}: build packages/server first`);
  const router = new Router();
  for (const [handler, route] of byHandler) {
    const add = router[route.method.toLowerCase()];
    if (typeof add !== 'function') throw new Error(`percore's Router has no ${route.method.toLowerCase()}(pattern, handler)`);
    (add as (pattern: string, handler: Handler) => unknown).call(router, route.pattern, handler);
  }
  return { kind, lookup: router, match: (method, path) => matchOf(byHandler, router.find(method, path)) };
}

/** Where the two routers disagree on the lookups (none means the comparison is of like with like). */
export function mismatches(a: BuiltRouter, b: BuiltRouter, lookups: readonly { method: string; path: string }[]): string[] {
  const out: string[] = [];
  for (const { method, path } of lookups) {
    const left = JSON.stringify(sorted(a.match(method, path)));
    const right = JSON.stringify(sorted(b.match(method, path)));
    if (left !== right) out.push(`${method} ${path}: ${a.kind} ${left}, ${b.kind} ${right}`);
  }
  return out;
}

function sorted(match: Match | null): Match | null {
  if (match === null) return null;
  return { pattern: match.pattern, params: Object.fromEntries(Object.entries(match.params).sort(([x], [y]) => (x < y ? -1 : 1))) };
}
