// One timed measurement in a fresh process, so neither router's code shares a JIT'd call site
// or a heap with the other's: node worker.js <percore|find-my-way> <seconds> <warmup seconds>.
// Prints the Timing as JSON. PERCORE_DIST selects percore's build.
import { timeLookups } from './measure.js';
import { buildRouter, ROUTER_KINDS, type RouterKind } from './routers.js';
import { LOOKUPS, ROUTES } from './routes.js';

const [kind, seconds, warmup] = process.argv.slice(2);
if (!ROUTER_KINDS.includes(kind as RouterKind)) throw new Error(`unknown router "${kind}"`);
const router = await buildRouter(kind as RouterKind, ROUTES);
process.stdout.write(`${JSON.stringify(timeLookups(router.lookup, LOOKUPS, Number(seconds), Number(warmup)))}\n`);
