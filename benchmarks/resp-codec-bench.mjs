#!/usr/bin/env node
// A micro-benchmark of percore's RESP codec (packages/server/dist/resp; build first: pnpm -r exec tsc -b).
//
//   node benchmarks/resp-codec-bench.mjs [--rounds 5] [--compare DIR]
//
// Workloads, each timed per round, the rounds interleaved between decoders:
//   small-pipelined  1M small replies (+OK, :1, $3 foo, :123456, $-1, *2 of bulks; 1% -ERR) in one stream, fed in 16 KiB chunks
//   small-one-each   1M small replies, one feed per reply (a request/response connection)
//   bulk-1MB         1k bulk strings of 1 MiB each, fed in 64 KiB chunks, as strings and as Buffers
//   encode           1M encodeCommand(['SET', 'key:<i>', 'value-<i>'])
// --compare DIR: a node_modules folder holding redis-parser (ioredis's decoder) and @redis/client,
// installed outside the repository (npm install redis-parser@3.0.0 @redis/client@5), measured side by side.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { RespDecoder } = await import(`${root}packages/server/dist/resp/decoder.js`);
const { encodeCommand } = await import(`${root}packages/server/dist/resp/encoder.js`);

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : args[index + 1];
};
const rounds = Number(option('--rounds', '5'));
const compareDir = option('--compare', undefined);

const SMALL = 1_000_000;
const BULKS = 1000;
const MIB = 1024 * 1024;

function smallReplies(count) {
  const kinds = [
    '+OK\r\n',
    ':1\r\n',
    '$3\r\nfoo\r\n',
    ':123456\r\n',
    '$-1\r\n',
    '*2\r\n$3\r\nabc\r\n$5\r\nhello\r\n',
    '-ERR no such key\r\n',
  ];
  const one = kinds.map((kind) => Buffer.from(kind));
  // The first six in turn; one reply in a hundred is the error.
  return Array.from({ length: count }, (_, index) => one[index % 100 === 99 ? 6 : index % 6]);
}

function chunked(buffer, size) {
  const chunks = [];
  for (let offset = 0; offset < buffer.length; offset += size) chunks.push(buffer.subarray(offset, offset + size));
  return chunks;
}

const replies = smallReplies(SMALL);
const pipelined = chunked(Buffer.concat(replies), 16 * 1024);
const bulkPayload = Buffer.alloc(MIB, 'abcdefgh');
const bulkStream = chunked(Buffer.concat([Buffer.from(`$${MIB}\r\n`), bulkPayload, Buffer.from('\r\n')]), 64 * 1024);

/** Each decoder: a name and a factory (onReply, asBuffer) => feed(chunk). */
const decoders = [
  {
    name: 'percore RespDecoder',
    make(onReply, asBuffer) {
      const decoder = new RespDecoder(onReply, { bulkAs: asBuffer ? 'buffer' : 'string' });
      return (chunk) => decoder.feed(chunk);
    },
  },
];

if (compareDir) {
  const require = createRequire(`${compareDir}/`);
  const RedisParser = require('redis-parser');
  const { Decoder } = require('@redis/client/dist/lib/RESP/decoder.js');
  const { RESP_TYPES } = require('@redis/client/dist/lib/RESP/decoder.js');
  decoders.push({
    name: 'redis-parser 3 (ioredis)',
    make(onReply, asBuffer) {
      const parser = new RedisParser({ returnReply: onReply, returnError: onReply, returnBuffers: asBuffer });
      return (chunk) => parser.execute(chunk);
    },
  });
  decoders.push({
    name: '@redis/client 5 Decoder',
    make(onReply, asBuffer) {
      const mapping = asBuffer ? { [RESP_TYPES.BLOB_STRING]: Buffer } : {};
      const decoder = new Decoder({ onReply, onErrorReply: onReply, onPush: onReply, getTypeMapping: () => mapping });
      return (chunk) => decoder.write(chunk);
    },
  });
}

function time(fn) {
  const start = process.hrtime.bigint();
  const result = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

const workloads = [
  {
    name: 'small-pipelined',
    unit: 'replies/s',
    count: SMALL,
    run(decoder) {
      let seen = 0;
      const feed = decoder.make(() => seen++, false);
      for (const chunk of pipelined) feed(chunk);
      return seen;
    },
  },
  {
    name: 'small-one-each',
    unit: 'replies/s',
    count: SMALL,
    run(decoder) {
      let seen = 0;
      const feed = decoder.make(() => seen++, false);
      for (const reply of replies) feed(reply);
      return seen;
    },
  },
  ...[false, true].map((asBuffer) => ({
    name: `bulk-1MB ${asBuffer ? 'Buffer' : 'string'}`,
    unit: 'MB/s',
    count: BULKS,
    perMB: true,
    run(decoder) {
      let seen = 0;
      const feed = decoder.make((value) => (seen += value.length === MIB ? 1 : 0), asBuffer);
      for (let bulk = 0; bulk < BULKS; bulk++) for (const chunk of bulkStream) feed(chunk);
      return seen;
    },
  })),
];

const results = new Map();
const record = (key, value) => (results.get(key) ?? results.set(key, []).get(key)).push(value);

for (let round = 0; round < rounds; round++) {
  for (const workload of workloads) {
    const order = round % 2 === 0 ? decoders : [...decoders].reverse();
    for (const decoder of order) {
      const { ms, result } = time(() => workload.run(decoder));
      if (result !== workload.count) throw new Error(`${decoder.name} ${workload.name}: ${result} values, expected ${workload.count}`);
      record(`${workload.name}|${decoder.name}`, ms);
    }
  }
  const { ms } = time(() => {
    let bytes = 0;
    for (let index = 0; index < SMALL; index++) bytes += encodeCommand(['SET', `key:${index}`, `value-${index}`]).length;
    return bytes;
  });
  record('encode|percore encodeCommand', ms);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`node ${process.version}, ${rounds} rounds, medians (min-max)`);
console.log('| workload | codec | median ms | rate | min-max ms |');
console.log('|---|---|---:|---:|---|');
for (const [key, values] of results) {
  const [workload, codec] = key.split('|');
  const ms = median(values);
  const spec = workloads.find((entry) => entry.name === workload);
  const rate = spec?.perMB ? `${((BULKS * MIB) / 1e6 / (ms / 1000)).toFixed(0)} MB/s` : `${(((SMALL / ms) * 1000) / 1e6).toFixed(2)} M/s`;
  console.log(
    `| ${workload} | ${codec} | ${ms.toFixed(0)} | ${rate} | ${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)} |`,
  );
}
if (decoders.length > 1) {
  console.log('\nPaired per-round ratios (other codec time / percore time; above 1 means percore is faster), median:');
  for (const workload of workloads) {
    const ours = results.get(`${workload.name}|${decoders[0].name}`);
    for (const other of decoders.slice(1)) {
      const theirs = results.get(`${workload.name}|${other.name}`);
      const ratios = theirs.map((value, index) => value / ours[index]);
      console.log(
        `- ${workload.name} vs ${other.name}: ${median(ratios).toFixed(2)}x (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
      );
    }
  }
}
