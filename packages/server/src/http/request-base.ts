import { RequestBody } from './request-body.js';

/** The params of a request no router has matched: one frozen object, shared, so that none is allocated. */
export const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * What every engine's request shares beyond its body: the routing state a router writes as it
 * dispatches (`params`, `route`, `basePath`). Plain fields: a request no router sees pays three
 * stores, and an observer can read `route` after the engine's own request data has expired.
 */
export abstract class RequestBase extends RequestBody {
  params: Readonly<Record<string, string>> = NO_PARAMS;
  route: string | undefined = undefined;
  basePath = '';
  handlerError: unknown = undefined;
}
