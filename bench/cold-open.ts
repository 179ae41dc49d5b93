import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBenchPage } from './pages';
import type { BrowserContext } from 'playwright-core';
import { launch } from './browser';
import type { Variant } from './cold-open/main';
import { commandLine, label, startLog } from './report';
import { serve } from './server';
import { median } from './stats';

/**
 * Why a database built by a rebuild opened slowly in a just-started browser (docs/benchmarks.md, "Cold
 * IndexedDB open"): builds the `larder` database from the same generated network in each way asked for,
 * each in its own browser profile, then starts Chromium afresh `--opens` times on that profile and times
 * a raw `indexedDB.open('larder')` as the first thing each time. Prints the LevelDB directory (files,
 * bytes) as the build left it.
 *
 *   npx tsx bench/cold-open.ts --sizes=100000 --variants=rebuild,at-once --opens=3 --port=5304
 */
const { option } = commandLine();
const sizes = (option('sizes') ?? '100000').split(',').map(Number);
const variants = (option('variants') ?? 'rebuild,rebuild-twice,at-once').split(',') as Variant[];
const opens = Number(option('opens') ?? 3);
const port = Number(option('port') ?? 0);
const log = startLog();
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** Bytes of every file under `dir`. */
function bytesUnder(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, e) => sum + (e.isDirectory() ? bytesUnder(join(dir, e.name)) : statSync(join(dir, e.name)).size),
    0,
  );
}

function levelDb(profile: string) {
  const base = join(profile, 'Default', 'IndexedDB');
  const dir = readdirSync(base).find((d) => d.endsWith('.indexeddb.leveldb'));
  if (!dir) return { all: 0, files: 0, ldb: 0, log: 0, bytes: 0 };
  const names = readdirSync(join(base, dir));
  const size = (f: string) => statSync(join(base, dir, f)).size;
  const of = (ext: string) => names.filter((f) => f.endsWith(ext));
  const bytes = names.reduce((s, f) => s + size(f), 0);
  return {
    /** The whole IndexedDB directory: LevelDB and the blob files that hold large values (the doc). */
    all: bytesUnder(base),
    files: names.length,
    ldb: of('.ldb').length,
    log: of('.log').reduce((s, f) => s + size(f), 0),
    bytes,
  };
}

async function page(context: BrowserContext, origin: string) {
  const p = await context.newPage();
  await p.goto(`${origin}/`);
  await p.waitForFunction(() => window.coldOpenBench !== undefined);
  return p;
}

async function main() {
  const dir = join(tmpdir(), 'larder-cold-open-page');
  await buildBenchPage('cold-open', '/', dir);
  const server = await serve([{ prefix: '/', dir }], port);
  const lines: string[] = [];
  try {
    for (const n of sizes) {
      for (const variant of variants) {
        const profile = await mkdtemp(join(tmpdir(), `larder-cold-open-${variant}-`));
        try {
          log(`N=${label(n)} ${variant}: building the database (load ${loadavg()[0]!.toFixed(1)})`);
          let context = await launch(profile);
          const built = await (
            await page(context, server.url)
          ).evaluate(([count, v]) => window.coldOpenBench!.seed(count, v), [n, variant] as const);
          await context.close();
          const disk = levelDb(profile);
          log(
            `  written in ${(built.writeMs / 1000).toFixed(1)} s (${built.ledger} ledger rows); LevelDB: ${disk.files} files, ${disk.ldb} .ldb, .log ${(disk.log / 2 ** 20).toFixed(1)} MB, ${(disk.bytes / 2 ** 20).toFixed(1)} MB in all`,
          );
          const times: number[] = [];
          for (let i = 0; i < opens; i++) {
            context = await launch(profile);
            times.push(
              await (await page(context, server.url)).evaluate(() => window.coldOpenBench!.coldOpen()),
            );
            await context.close();
            log(`  cold open #${i + 1}: ${times.at(-1)!.toFixed(0)} ms`);
          }
          const after = levelDb(profile);
          lines.push(
            `| ${label(n)} | ${variant} | ${(built.writeMs / 1000).toFixed(1)} s | ${disk.files} (${disk.ldb} .ldb) | ${mb(disk.bytes)} | ${times.map((t) => t.toFixed(0)).join(', ')} ms (median ${median(times).toFixed(0)}) | ${mb(after.bytes)} | ${mb(after.all)} (${Math.round(after.all / n)} B/entry) |`,
          );
        } finally {
          await rm(profile, { recursive: true, force: true });
        }
      }
    }
  } finally {
    await server.close();
  }
  console.log(
    '\n| N | built by | write | LevelDB files after | LevelDB after | cold opens | LevelDB after the opens | IndexedDB in all after the opens |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const line of lines) console.log(line);
  console.log(`load average at end ${loadavg()[0]!.toFixed(1)}`);
}

void main();
