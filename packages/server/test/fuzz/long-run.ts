/**
 * The long differential fuzz run of the request parser: percore against llhttp, with split
 * feeding and bounds checks, on mutated fixture bytes. See --help. Run it with
 *   nice -n 10 taskset -c 0 npx tsx test/fuzz/long-run.ts --seed 1 --runs 10000000
 * Exits 1 if any property broke or any divergence is unexplained, 0 otherwise.
 */
import { parseArgs } from 'node:util';
import { checkInput, describeInput } from './check-input.js';
import { corpus, drawMutations, drawSplits, mutate, SeededRandom } from './mutator.js';

const HELP = `usage: npx tsx test/fuzz/long-run.ts [--seed N] [--runs N] [--progress N] [--examples N]

Mutates the parser fixtures (bit flips, byte sets, CR/LF/NUL inserts, deletions, duplications,
splices of two inputs) with a seeded generator, and checks each input:
  - fed whole and split at random points, percore's parser reports the same events;
  - it never throws, always makes progress, and holds no more than its limits allow;
  - its framing and verdict match llhttp's (node:http), or the difference is a known one
    (test/fuzz/known-divergences.ts, docs/parser-divergences.md).

  --seed N      generator seed (default 1); the same seed gives the same inputs
  --runs N      inputs to check (default 1000000)
  --progress N  print a progress line every N inputs (default 250000)
  --examples N  inputs kept per divergence class for the summary (default 2)
  --help        this text`;

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    runs: { type: 'string', default: '1000000' },
    progress: { type: 'string', default: '250000' },
    examples: { type: 'string', default: '2' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const seed = Number(values.seed);
const runs = Number(values.runs);
const progressEvery = Number(values.progress);
const examplesKept = Number(values.examples);
for (const [name, value] of [
  ['seed', seed],
  ['runs', runs],
  ['progress', progressEvery],
  ['examples', examplesKept],
] as const) {
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} must be a non-negative integer\n\n${HELP}`);
    process.exit(2);
  }
}

interface Tally {
  count: number;
  examples: string[];
}
const classes = new Map<string, Tally>();
const failures: string[] = [];
let divergent = 0;
let unexplained = 0;

function tally(key: string, example: string): void {
  let entry = classes.get(key);
  if (entry === undefined) classes.set(key, (entry = { count: 0, examples: [] }));
  entry.count++;
  if (entry.examples.length < examplesKept) entry.examples.push(example);
}

const random = new SeededRandom(seed);
const started = process.hrtime.bigint();
const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
console.log(`long-run: seed ${seed}, ${runs} inputs, corpus of ${corpus.length} fixtures, node ${process.version}`);

for (let run = 1; run <= runs; run++) {
  const input = mutate(corpus[random.below(corpus.length)]!, drawMutations(random));
  const splits = drawSplits(random, input.length);
  const result = checkInput(input, splits);
  if (result.failure !== null) {
    if (failures.length < 20) failures.push(`run ${run}: ${result.failure}\n  ${describeInput(input, splits)}`);
    else failures.push('');
  } else if (result.divergence !== null) {
    divergent++;
    if (result.explainedBy === null) unexplained++;
    tally(`${result.explainedBy ?? 'UNEXPLAINED'} | ${result.divergence.kind}`, JSON.stringify(input.toString('latin1')).slice(0, 300));
  }
  if (progressEvery > 0 && run % progressEvery === 0) {
    const seconds = elapsed();
    console.log(
      `  ${run} inputs, ${seconds.toFixed(1)} s, ${Math.round(run / seconds)}/s; ${failures.length} failures, ${divergent} divergent, ${unexplained} unexplained`,
    );
  }
}

const seconds = elapsed();
console.log(`\ndone: seed ${seed}, ${runs} inputs in ${seconds.toFixed(1)} s (${Math.round(runs / seconds)}/s)`);
console.log(`property failures: ${failures.length}`);
for (const failure of failures.filter((line) => line !== '')) console.log(failure);
console.log(`divergent inputs: ${divergent} (${unexplained} unexplained), by class (rule | kind):`);
for (const [key, entry] of [...classes].sort((a, b) => b[1].count - a[1].count)) {
  console.log(`  ${String(entry.count).padStart(9)}  ${key}`);
  for (const example of entry.examples) console.log(`             e.g. ${example}`);
}
process.exit(failures.length > 0 || unexplained > 0 ? 1 : 0);
