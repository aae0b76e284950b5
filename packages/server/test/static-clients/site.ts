/**
 * The site the real-client tests serve: test/fixtures/site (a page with CSS, JS and two images,
 * and a page with a <video>) copied into a temporary directory, plus the files too large to
 * commit, generated here: a WAV tone of several MiB for the browser to seek in, a text file with
 * `.gz` and `.br` siblings, and a binary file for byte ranges.
 */
import { cp, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';

const FIXTURE = fileURLToPath(new URL('../fixtures/site/', import.meta.url));

/** A deterministic pattern of `length` bytes. */
export function pattern(length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + (i >> 8) * 7 + 3) & 0xff;
  return bytes;
}

/** Lines of text that compress well, different on every line. */
function words(lines: number): Buffer {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(`line ${i}: static files from percore, served whole, in ranges, or precompressed.`);
  return Buffer.from(out.join('\n') + '\n');
}

/**
 * A mono 16-bit PCM WAV file (RIFF, WAVE_FORMAT_PCM) of a 440 Hz tone, `seconds` long at
 * `sampleRate`: a format every Chromium build plays without extra codecs.
 */
export function wavTone(seconds: number, sampleRate = 8000): Buffer {
  const samples = seconds * sampleRate;
  const data = samples * 2;
  const wav = Buffer.alloc(44 + data);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(36 + data, 4);
  wav.write('WAVE', 8, 'latin1');
  wav.write('fmt ', 12, 'latin1');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // bytes per frame
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(data, 40);
  for (let i = 0; i < samples; i++) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate)), 44 + i * 2);
  return wav;
}

export interface Site {
  /** The directory to serve. */
  readonly root: string;
  /** The generated files' contents, by URL path. */
  readonly media: { readonly path: string; readonly bytes: Buffer };
  readonly text: { readonly path: string; readonly bytes: Buffer; readonly gzip: Buffer; readonly brotli: Buffer };
  readonly binary: { readonly path: string; readonly bytes: Buffer };
  /** Removes the directory. */
  remove(): Promise<void>;
}

/** Copies the fixture site into a fresh temporary directory and generates the large files in it. */
export async function makeSite(): Promise<Site> {
  const root = await mkdtemp(join(tmpdir(), 'percore-site-'));
  try {
    await cp(FIXTURE, root, { recursive: true });
    await mkdir(join(root, 'media'));
    await mkdir(join(root, 'text'));
    // 600 s at 16 kB/s: about 9.2 MiB, far more than Chromium buffers ahead for preload="metadata",
    // so a seek near the end needs a new range request.
    const media = { path: '/media/tone.wav', bytes: wavTone(600) };
    const textBytes = words(2000);
    const text = {
      path: '/text/words.txt',
      bytes: textBytes,
      gzip: gzipSync(textBytes, { level: 9 }),
      brotli: brotliCompressSync(textBytes, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }),
    };
    const binary = { path: '/data/pattern.bin', bytes: pattern(10_000) };
    await mkdir(join(root, 'data'));
    await writeFile(join(root, 'media/tone.wav'), media.bytes);
    await writeFile(join(root, 'text/words.txt'), text.bytes);
    await writeFile(join(root, 'text/words.txt.gz'), text.gzip);
    await writeFile(join(root, 'text/words.txt.br'), text.brotli);
    await writeFile(join(root, 'data/pattern.bin'), binary.bytes);
    // A day old: a file modified within the last second gets a Last-Modified clamped to the
    // response's Date (RFC 9110 8.8.2.1) that moves with the clock, so -z and reloads would
    // depend on when a second boundary falls.
    const dayAgo = new Date(Date.now() - 86_400_000);
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) await utimes(join(entry.parentPath, entry.name), dayAgo, dayAgo);
    }
    return { root, media, text, binary, remove: () => rm(root, { recursive: true, force: true }) };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
