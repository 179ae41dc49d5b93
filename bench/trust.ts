import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { chromium } from 'playwright-core';
import { buildBenchPage } from './pages';
import { CHROMIUM, CHROMIUM_ARGS } from './browser';
import { commandLine, label, ms } from './report';
import { serve } from './server';
import { median, quantile } from './stats';
import { Gate } from '../shared/trust/gate';
import { prehashBlocks } from '../shared/trust/prehash';
import type { MemberState } from '../shared/trust/members';
import { signedHistory } from './trust-history';

/**
 * `npm run bench:trust`: what signing costs. Bytes per entry with signed heads (a head per save of 1 to
 * 3 lines, the newest per device kept), the time to verify a whole history (Node, and Chromium through
 * the real gate), and one pickup recorded through the real store on a signed network in Chromium. It
 * prints figures; it never fails on one.
 *
 *   npm run bench:trust                      100k and 1M
 *   npm run bench:trust -- --sizes=100000    one size
 *   npm run bench:trust -- --sizes=100000 --verify-sizes=100000,1000000
 *                                            bytes at 100k (building 1M signed docs takes many minutes),
 *                                            verification in Chromium at both
 */
const { option } = commandLine();
const sizes = (option('sizes') ?? '100000,1000000').split(',').map(Number);
/** Sizes for the Chromium verification (it builds no docs, so it reaches further quickly). */
const verifySizes = (option('verify-sizes') ?? sizes.join(',')).split(',').map(Number);
const PICKUPS = 40;

function membersOf(devices: Iterable<string>, network: string): MemberState {
  return {
    network,
    members: new Map(
      [...devices].map((device) => [
        device,
        { device, key: '', name: device, hub: null, role: 'coordinator', approvedBy: device, approvedAt: 0 },
      ]),
    ),
    requests: new Map(),
    keys: new Map(),
    rotation: null,
    signed: new Map(),
    problems: [],
  };
}

async function main() {
  console.log(`bench:trust on ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`);
  const rows: string[][] = [];
  for (const n of sizes) {
    const t = performance.now();
    const history = await signedHistory(n, { realSignatures: n <= 100_000 });
    const buildMs = performance.now() - t;
    const signedBytes = Y.encodeStateAsUpdate(history.signed).byteLength;
    const unsignedBytes = Y.encodeStateAsUpdate(history.unsigned).byteLength;
    const signedV2 = Y.encodeStateAsUpdateV2(history.signed).byteLength;
    const unsignedV2 = Y.encodeStateAsUpdateV2(history.unsigned).byteLength;
    const gate = new Gate(history.network);
    const v = performance.now();
    const blocks = await prehashBlocks(gate, history.entries, history.heads);
    const result = gate.step({
      entries: history.entries,
      heads: history.heads,
      members: membersOf(history.keys.keys(), history.network),
      membersChanged: true,
      blocks,
    });
    const verifyMs = performance.now() - v;
    if (result.release.length !== n) throw new Error(`verified ${result.release.length} of ${n}`);
    rows.push([
      label(n),
      `${history.saves.toLocaleString('en-US')} saves`,
      `${(unsignedBytes / n).toFixed(1)} B`,
      `${(signedBytes / n).toFixed(1)} B`,
      `${((signedBytes - unsignedBytes) / n).toFixed(2)} B`,
      `${((signedV2 - unsignedV2) / n).toFixed(2)} B`,
      ms(verifyMs),
      `${ms(buildMs)}${n <= 100_000 ? ' (real signatures)' : ' (signature bytes of the real length)'}`,
    ]);
    history.signed.destroy();
    history.unsigned.destroy();
    console.log(`  N=${label(n)}: built in ${ms(buildMs)}, verified in Node in ${ms(verifyMs)}`);
  }

  const pageDir = await mkdtemp(join(tmpdir(), 'larder-trust-page-'));
  await buildBenchPage('trust-page', '/', pageDir);
  const server = await serve([{ prefix: '/', dir: pageDir }]);
  // gc() in the page: the history is built in the page, and its garbage is collected before timing.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, '--js-flags=--expose-gc'],
  });
  const browserRows: string[][] = [];
  try {
    const openPage = async () => {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
      return page;
    };
    // A fresh page for each run, as a device verifying a history has: the histories built for earlier
    // runs would otherwise be collected during this one (in the pauses between slices, above all).
    for (const how of ['js', 'wasm', 'ahead'] as const) {
      for (const n of verifySizes) {
        const fresh = await openPage();
        const r = await fresh.evaluate(([count, h]) => window.larderTrust.verify(count, h), [
          n,
          how,
        ] as const);
        await fresh.close();
        const what = {
          js: 'the gate alone, SHA-256 in JavaScript (@noble/hashes)',
          wasm: 'the gate alone, SHA-256 in WebAssembly (hash-wasm)',
          ahead: "blocks hashed ahead in slices, then the gate in groups of devices (the store's way)",
        }[how];
        browserRows.push([
          label(n),
          what,
          ms(r.verifyMs),
          how === 'ahead' ? ms(r.aheadMs) : '—',
          how === 'ahead' ? (r.longestAheadTaskMs > 0 ? ms(r.longestAheadTaskMs) : 'none over 50 ms') : '—',
          how === 'ahead'
            ? `${ms(r.gateMs)} (longest task ${r.longestGateTaskMs > 0 ? ms(r.longestGateTaskMs) : 'none over 50 ms'})`
            : `${ms(r.gateMs)} (one task)`,
        ]);
        console.log(
          `  Chromium, ${what}: verified N=${label(n)} in ${ms(r.verifyMs)} (ahead ${ms(r.aheadMs)}, ` +
            `longest task ahead ${ms(r.longestAheadTaskMs)}, gate ${ms(r.gateMs)}` +
            (how === 'ahead' ? `, its longest task ${ms(r.longestGateTaskMs)})` : ' in one task)') +
            `, ${r.released} count`,
        );
      }
    }
    const page = await openPage();
    const times = await page.evaluate((count) => window.larderTrust.pickups(count), PICKUPS);
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `\nRecord one pickup on a signed network in Chromium (${PICKUPS} in a row, signing included): ` +
        `median ${ms(median(sorted))}, p95 ${ms(quantile(sorted, 0.95))}, first ${ms(times[0]!)}`,
    );
  } finally {
    await browser.close();
    await server.close();
    await rm(pageDir, { recursive: true, force: true });
  }
  console.log(
    '\n| N | saves | bytes/entry unsigned (V1) | signed (V1) | signatures per entry (V1) | (V2) | verify whole history (Node) | build |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(
    '\n| N | how (Chromium) | verify whole history | hashing ahead | longest main-thread task ahead | gate |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of browserRows) console.log(`| ${r.join(' | ')} |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
