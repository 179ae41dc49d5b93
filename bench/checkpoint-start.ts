import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBenchPage } from './pages';
import { readAllEntries } from '../shared/doc';
import { Projector } from '../shared/projection';
import { loadFastSha256 } from '../shared/trust/crypto';
import { launch } from './browser';
import { generateNetwork } from './generate';
import { commandLine } from './report';
import { serve } from './server';
import { signedCheckpointOf } from './signedCheckpoint';

/**
 * A new device started from a checkpoint, in Chromium, through the app's own persistence: Node generates a
 * signed network of N entries and a coordinator's checkpoint of it (bench/signedCheckpoint.ts); the bench
 * page fetches it, verifies its head with the member list, checks its rows, and seeds a new database with
 * `DocPersistence.seed` (the figures, history, gate, settings and meta rows in one transaction). Prints how
 * long each step took, from the bytes to the figures committed, and the longest main-thread task meanwhile:
 * what a joining device would wait before a correct stock view, against the whole history taken over sync
 * (docs/benchmarks-sync.md, `--join`). Prints numbers; asserts nothing.
 *
 *   npx tsx bench/checkpoint-start.ts [--sizes=100000,1000000] [--runs=2]
 */
const { option } = commandLine();
const sizes = (option('sizes') ?? '100000,1000000').split(',').map(Number);
const runs = Number(option('runs') ?? 2);
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

await loadFastSha256();
const pageDir = join(tmpdir(), 'larder-checkpoint-start-page');
await buildBenchPage('page', '/bench/', pageDir);
console.log(`checkpoint start: load ${loadavg()[0]!.toFixed(1)} at start`);
const ms = (v: number) => `${v.toFixed(0)} ms`;
for (const n of sizes) {
  const net = generateNetwork(n);
  const { entries } = readAllEntries(net.doc);
  net.doc.destroy();
  const whole = new Projector();
  for (const e of entries) whole.apply(e);
  const { signed, state, makeMs } = await signedCheckpointOf(net.networkId, entries, whole, random);
  const data = mkdtempSync(join(tmpdir(), 'larder-checkpoint-data-'));
  writeFileSync(join(data, 'checkpoint-head.bin'), signed.head);
  writeFileSync(join(data, 'checkpoint-rows.bin'), signed.rows);
  writeFileSync(
    join(data, 'checkpoint-members.json'),
    JSON.stringify({ network: state.network, members: [...state.members], by: signed.by, sig: signed.sig }),
  );
  console.log(
    `${n.toLocaleString('en-US')} entries: checkpoint made in Node in ${ms(makeMs)}; head ${(signed.head.byteLength / 1e6).toFixed(1)} MB, rows ${(signed.rows.byteLength / 1e6).toFixed(1)} MB`,
  );
  const server = await serve(
    [
      { prefix: '/bench/', dir: pageDir },
      { prefix: '/bench-data/', dir: data },
    ],
    0,
  );
  try {
    for (let run = 1; run <= runs; run++) {
      const profile = mkdtempSync(join(tmpdir(), 'larder-checkpoint-start-profile-'));
      const context = await launch(profile);
      try {
        const page = await context.newPage();
        await page.goto(`${server.url}/bench/`);
        await page.waitForFunction(() => window.larderBench !== undefined);
        const r = await page.evaluate(
          ([url, network]) => window.larderBench!.startFromCheckpoint(url, network),
          [`${server.url}/bench-data/`, net.networkId] as const,
        );
        console.log(
          `  run ${run}: figures committed ${ms(r.totalMs)} after the bytes (verify head ${ms(r.verifyMs)}, rows checked and figures written ${ms(r.seedMs)}), history written ${ms(r.historyMs)} after that; fetch ${ms(r.fetchMs)}; a hub's stock rows read ${ms(r.shelfReadMs)} (${r.shelfRows}); ${r.stockRows} stock rows, ${r.ledgerRows} ledger rows; longest task ${ms(r.longestTaskMs)}`,
        );
      } finally {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      }
    }
  } finally {
    await server.close();
    rmSync(data, { recursive: true, force: true });
  }
}
console.log(`load ${loadavg()[0]!.toFixed(1)} at the end`);
