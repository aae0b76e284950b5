/**
 * picohttp's REST example on percore's Router. Its statuses, mapped:
 *
 * | picohttp                                 | here                                                        |
 * |------------------------------------------|-------------------------------------------------------------|
 * | GET `/`: every item as a JSON object     | 200, `{"id":value,...}`                                     |
 * | GET `/id`: the item, or 404              | 200 with the item's JSON, or 404                            |
 * | PUT `/id`: store the body, 200           | 201 Created (new id) or 204 (replaced), once durable        |
 * | PUT `/` (no id): 400                     | 405 with `Allow: GET, HEAD` (RFC 9110 15.5.6): `/` is a collection |
 * | DELETE `/id`: 200, or 404 if missing     | 204, or 404                                                 |
 * | any other method: 501                    | 501 for a method this server implements nowhere (RFC 9110 15.6.2); a method it implements elsewhere gets the router's 405 |
 * | an exception: 500 with its message       | 500 (the router's page; the engine logs it)                 |
 *
 * Added: 400 for an id outside the grammar or a body that is not JSON, 413 for a body over
 * the item size, 507 when the store is full, 503 when the store can't be reached.
 */
import { Router, type Handler, type HttpRequest, type HttpResponse } from '@percore/server';
import type { StoreClient } from './store-client.js';

export interface RestLimits {
  /** The most bytes in one item's body (default 16 KiB). */
  maxItemBytes: number;
}

/** RFC 3986 2.3 unreserved letters, digits, '-' and '_': an id never needs percent-encoding. */
export const ID_GRAMMAR = /^[A-Za-z0-9_-]{1,64}$/;

/** The methods this server implements for some resource; any other is 501. */
const IMPLEMENTED = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

function json(res: HttpResponse, status: number, body: string): void {
  res.status = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(body);
}

function error(res: HttpResponse, status: number, message: string): void {
  json(res, status, `${JSON.stringify({ error: message })}\n`);
}

/** The id from the path, or undefined after answering 400. */
function idOf(req: HttpRequest, res: HttpResponse): string | undefined {
  const id = req.params.id!;
  if (ID_GRAMMAR.test(id)) return id;
  error(res, 400, 'bad id: 1 to 64 of A-Z a-z 0-9 - _');
  return undefined;
}

/** Runs a store call; a store that can't answer (the primary gone, a failed write) is 503. */
async function withStore<T>(res: HttpResponse, call: () => Promise<T>): Promise<{ value: T } | undefined> {
  try {
    return { value: await call() };
  } catch (failure) {
    if (!res.finished && !res.aborted) error(res, 503, failure instanceof Error ? failure.message : 'store unavailable');
    return undefined;
  }
}

export function restHandler(store: StoreClient, limits: RestLimits = { maxItemBytes: 16 * 1024 }): Handler {
  const router = new Router({
    errorPages: {
      404: { body: '{"error":"not found"}\n', contentType: 'application/json' },
      405: { body: '{"error":"method not allowed"}\n', contentType: 'application/json' },
      413: { body: `{"error":"an item is at most ${limits.maxItemBytes} bytes"}\n`, contentType: 'application/json' },
    },
  })
    .get('/', async (_req, res) => {
      const items = await withStore(res, () => store.list());
      if (items !== undefined) json(res, 200, items.value);
    })
    .get('/:id', async (req, res) => {
      const id = idOf(req, res);
      if (id === undefined) return;
      const found = await withStore(res, () => store.get(id));
      if (found === undefined) return;
      if (found.value === undefined) return error(res, 404, `no item ${id}`);
      json(res, 200, found.value);
    })
    .put('/:id', async (req, res) => {
      const id = idOf(req, res);
      if (id === undefined) return;
      // Over the limit rejects with PERCORE_ERR_BODY_TOO_LARGE, which the router answers 413.
      const body = await req.text({ limit: limits.maxItemBytes });
      let value: string;
      try {
        value = JSON.stringify(JSON.parse(body));
      } catch {
        return error(res, 400, 'the body is not JSON');
      }
      const result = await withStore(res, () => store.put(id, value));
      if (result === undefined) return;
      if (result.value === 'full') return error(res, 507, 'the store is full');
      res.status = result.value === 'created' ? 201 : 204;
      if (result.value === 'created') res.setHeader('Location', `/${id}`);
      res.end();
    })
    .delete('/:id', async (req, res) => {
      const id = idOf(req, res);
      if (id === undefined) return;
      const existed = await withStore(res, () => store.delete(id));
      if (existed === undefined) return;
      if (!existed.value) return error(res, 404, `no item ${id}`);
      res.status = 204;
      res.end();
    });
  const routed = router.handler;
  return (req, res) => {
    if (!IMPLEMENTED.has(req.method)) return error(res, 501, `${req.method} is not implemented`);
    return routed(req, res);
  };
}
