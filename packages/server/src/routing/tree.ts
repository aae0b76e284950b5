import type { Handler } from '../http/api.js';
import { invalidRoute, type Segment } from './pattern.js';

/** One registered route: its handler and its pattern as written. */
export interface RouteEntry {
  readonly handler: Handler;
  readonly pattern: string;
}

/** The routes that end at one place in the tree, by method; `any` is `all()`'s. */
export class Leaf {
  readonly methods = new Map<string, RouteEntry>();
  any: RouteEntry | null = null;

  /** The method's route; HEAD falls back to GET (RFC 9110 9.3.2), then to `all()`. */
  pick(method: string): RouteEntry | null {
    return this.methods.get(method) ?? (method === 'HEAD' ? this.methods.get('GET') : undefined) ?? this.any;
  }

  add(method: string | null, entry: RouteEntry): void {
    if (method === null) {
      if (this.any !== null) throw invalidRoute(entry.pattern, `all() is already registered for ${this.any.pattern}`);
      this.any = entry;
      return;
    }
    const existing = this.methods.get(method);
    if (existing !== undefined) throw invalidRoute(entry.pattern, `${method} is already registered for ${existing.pattern}`);
    this.methods.set(method, entry);
  }

  /** Adds the methods this leaf answers to `into`: HEAD wherever GET is (RFC 9110 9.3.2). */
  collectMethods(into: Set<string>): void {
    for (const method of this.methods.keys()) into.add(method);
    if (this.methods.has('GET')) into.add('HEAD');
  }
}

/** A place in the tree: children by static text, then one parameter child, then `*`, then a mount. */
export class Node<Mount> {
  statics: Map<string, Node<Mount>> | null = null;
  /**
   * The same children as arrays while they are few: comparing in place (startsWith at an offset)
   * costs less than slicing the segment out and hashing it for the Map.
   */
  staticTexts: string[] = [];
  staticNodes: Array<Node<Mount>> = [];
  param: Node<Mount> | null = null;
  paramName = '';
  /** Routes whose last segment is here. */
  leaf: Leaf | null = null;
  /** Routes ending in `/*` below this node. */
  wildcard: Leaf | null = null;
  mount: Mount | null = null;
}

/** The node at the end of `segments`, made as needed; throws on two parameter names at one place. */
export function nodeFor<Mount>(root: Node<Mount>, segments: readonly Segment[], pattern: string): Node<Mount> {
  let node = root;
  for (const segment of segments) {
    if (segment.kind === 'static') {
      node.statics ??= new Map();
      let child = node.statics.get(segment.text);
      if (child === undefined) {
        node.statics.set(segment.text, (child = new Node()));
        node.staticTexts.push(segment.text);
        node.staticNodes.push(child);
      }
      node = child;
    } else if (segment.kind === 'param') {
      if (node.param === null) {
        node.param = new Node();
        node.paramName = segment.name;
      } else if (node.paramName !== segment.name) {
        throw invalidRoute(pattern, `:${segment.name} where another route has :${node.paramName}`);
      }
      node = node.param;
    } else {
      // The caller strips a trailing `*`; parsePattern refuses one anywhere else.
      throw invalidRoute(pattern, '* must be the last segment');
    }
  }
  return node;
}

/**
 * What a walk found besides the route: the captured parameters (names and [start, end) bounds
 * in the path, in order) and, for a mount, where its prefix ends. One per router, reused: a walk
 * and the decoding of its captures run without a break, before any handler.
 */
export class Captures<Mount> {
  readonly names: string[] = [];
  readonly bounds: number[] = [];
  count = 0;
  mount: Mount | null = null;
  mountEnd = 0;

  push(name: string, start: number, end: number): void {
    this.names[this.count] = name;
    this.bounds[2 * this.count] = start;
    this.bounds[2 * this.count + 1] = end;
    this.count++;
  }
}

/** Returned by `walk` when a mount matched (it is in `captures.mount`). */
export const MOUNTED: RouteEntry = Object.freeze({ handler: () => undefined, pattern: '' });

/**
 * Depth-first, in priority order at each segment: the static child, the parameter (a non-empty
 * segment), the wildcard (the rest, possibly empty), the mount (the rest at a segment boundary).
 * A branch that finds nothing for `method` gives way to the next one (backtracking), so
 * '/a/:x/c' and '/a/b/d' both match. `pos` is the index of a '/' in `path`, or its end.
 */
export function walk<Mount>(node: Node<Mount>, path: string, pos: number, method: string, captures: Captures<Mount>): RouteEntry | null {
  if (pos === path.length) {
    const entry = node.leaf?.pick(method) ?? null;
    if (entry !== null) return entry;
    if (node.mount !== null) return mounted(captures, node.mount, pos);
    return null;
  }
  const start = pos + 1;
  let end = path.indexOf('/', start);
  if (end === -1) end = path.length;
  if (node.statics !== null) {
    const child = staticChild(node, path, start, end);
    if (child !== undefined) {
      const entry = walk(child, path, end, method, captures);
      if (entry !== null) return entry;
    }
  }
  if (node.param !== null && end > start) {
    const count = captures.count;
    captures.push(node.paramName, start, end);
    const entry = walk(node.param, path, end, method, captures);
    if (entry !== null) return entry;
    captures.count = count;
  }
  if (node.wildcard !== null) {
    const entry = node.wildcard.pick(method);
    if (entry !== null) {
      captures.push('*', start, path.length);
      return entry;
    }
  }
  if (node.mount !== null) return mounted(captures, node.mount, pos);
  return null;
}

const LINEAR_SEARCH_MAX = 8;

/** The static child for the segment `path[start, end)`, if any. */
function staticChild<Mount>(node: Node<Mount>, path: string, start: number, end: number): Node<Mount> | undefined {
  const texts = node.staticTexts;
  if (texts.length > LINEAR_SEARCH_MAX) return node.statics!.get(path.slice(start, end));
  const length = end - start;
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]!;
    if (text.length === length && path.startsWith(text, start)) return node.staticNodes[i];
  }
  return undefined;
}

function mounted<Mount>(captures: Captures<Mount>, mount: Mount, pos: number): RouteEntry {
  captures.mount = mount;
  captures.mountEnd = pos;
  return MOUNTED;
}

/** Every method some route matching `path` answers (for 405's Allow); mounts answer all, so none is on a failed path. */
export function collectAllowed<Mount>(node: Node<Mount>, path: string, pos: number, into: Set<string>): void {
  if (pos === path.length) {
    node.leaf?.collectMethods(into);
    return;
  }
  const start = pos + 1;
  let end = path.indexOf('/', start);
  if (end === -1) end = path.length;
  const child = node.statics === null ? undefined : staticChild(node, path, start, end);
  if (child !== undefined) collectAllowed(child, path, end, into);
  if (node.param !== null && end > start) collectAllowed(node.param, path, end, into);
  node.wildcard?.collectMethods(into);
}
