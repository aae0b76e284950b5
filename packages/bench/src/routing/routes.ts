/**
 * The routing benchmark's table: 100 routes of a REST API's shape (static segments, :params,
 * nested resources, a trailing wildcard), in the syntax percore's Router and find-my-way share,
 * and a fixed list of lookups across them with some misses.
 */
export interface RouteDef {
  method: string;
  pattern: string;
}

const RESOURCES: readonly [string, string][] = [
  ['users', 'posts'],
  ['posts', 'comments'],
  ['comments', 'reactions'],
  ['orgs', 'members'],
  ['repos', 'branches'],
  ['issues', 'labels'],
  ['teams', 'members'],
  ['projects', 'columns'],
  ['files', 'versions'],
  ['orders', 'items'],
  ['products', 'reviews'],
  ['carts', 'items'],
  ['invoices', 'lines'],
  ['payments', 'refunds'],
  ['webhooks', 'deliveries'],
  ['events', 'attendees'],
];

/** Six routes per resource (list, create, read, update, delete, a nested list) and four others: 100. */
export const ROUTES: readonly RouteDef[] = [
  { method: 'GET', pattern: '/' },
  { method: 'GET', pattern: '/health' },
  { method: 'GET', pattern: '/static/*' },
  { method: 'GET', pattern: '/api/v1/orgs/:id/repos/:repo/issues/:number' },
  ...RESOURCES.flatMap(([resource, sub]) => [
    { method: 'GET', pattern: `/api/v1/${resource}` },
    { method: 'POST', pattern: `/api/v1/${resource}` },
    { method: 'GET', pattern: `/api/v1/${resource}/:id` },
    { method: 'PUT', pattern: `/api/v1/${resource}/:id` },
    { method: 'DELETE', pattern: `/api/v1/${resource}/:id` },
    { method: 'GET', pattern: `/api/v1/${resource}/:id/${sub}` },
  ]),
];

/** What the benchmark looks up, in this order, again and again: hits of every kind, and misses. */
export const LOOKUPS: readonly { method: string; path: string }[] = [
  // static
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/api/v1/users' },
  { method: 'POST', path: '/api/v1/orders' },
  { method: 'GET', path: '/api/v1/webhooks' },
  { method: 'GET', path: '/api/v1/events' },
  { method: 'POST', path: '/api/v1/carts' },
  // one :param
  { method: 'GET', path: '/api/v1/users/42' },
  { method: 'PUT', path: '/api/v1/posts/hello-world' },
  { method: 'DELETE', path: '/api/v1/comments/9f86d081884c7d65' },
  { method: 'GET', path: '/api/v1/products/sku-12345' },
  { method: 'GET', path: '/api/v1/invoices/2026-000123' },
  { method: 'GET', path: '/api/v1/users/J%C3%BCrgen' },
  // nested
  { method: 'GET', path: '/api/v1/users/42/posts' },
  { method: 'GET', path: '/api/v1/orders/1001/items' },
  { method: 'GET', path: '/api/v1/payments/pay_77/refunds' },
  { method: 'GET', path: '/api/v1/orgs/acme/repos/percore/issues/11' },
  // wildcard
  { method: 'GET', path: '/static/app.js' },
  { method: 'GET', path: '/static/css/site/main.css' },
  { method: 'GET', path: '/static/img/logo.png' },
  // misses: no such path, too deep, a method with no route
  { method: 'GET', path: '/api/v2/users' },
  { method: 'GET', path: '/favicon.ico' },
  { method: 'GET', path: '/api/v1/users/42/posts/7/extra' },
  { method: 'GET', path: '/api/v1/unknown/1' },
  { method: 'PATCH', path: '/api/v1/users/42' },
];
