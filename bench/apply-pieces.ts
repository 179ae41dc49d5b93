/**
 * A large update taken in steps (shared/sync/ingest.ts `ingestLarge`) into a doc with an 'update' listener
 * that keeps what it is given, as DocPersistence does: how long the whole ingest takes (decode, check,
 * apply), and what the listener kept (checked to give the same doc). Node, one thread, no pauses.
 *
 *   npx tsx bench/apply-pieces.ts [entries = 1000000] [rounds = 3]
 */
import * as Y from 'yjs';
import { ingestLarge } from '../shared/sync/ingest';
import { updatePieces } from '../renderer/storage/pieces';
import { generateNetwork } from './generate';

const n = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 3);
const network = generateNetwork(n);
const update = Y.encodeStateAsUpdate(network.doc);
const pieces = updatePieces(update);
const expected = Y.encodeStateVector(network.doc);
console.log(`${network.entries} entries, ${update.byteLength} bytes, ${pieces.length} pieces`);

const times: number[] = [];
for (let round = 0; round < rounds; round++) {
  const doc = new Y.Doc({ gc: true });
  const kept: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => kept.push(u));
  const start = performance.now();
  const result = await ingestLarge(doc, update, 'peer', {
    cut: async () => pieces,
    pause: async () => undefined,
  });
  const ms = performance.now() - start;
  times.push(ms);
  const again = new Y.Doc();
  Y.applyUpdate(again, Y.mergeUpdates(kept));
  const same =
    Buffer.from(Y.encodeStateVector(again)).equals(Buffer.from(expected)) &&
    Y.equalDeleteSets(
      Y.createDeleteSetFromStructStore(again.store),
      Y.createDeleteSetFromStructStore(doc.store),
    );
  const given = kept.filter((u) => pieces.includes(u)).length;
  console.log(
    `round ${round + 1}: ${ms.toFixed(0)} ms, ${result.ok ? 'ok' : 'refused'}; the listener kept ${kept.length} updates (${given} of them the pieces themselves), ${kept.reduce((s, u) => s + u.byteLength, 0)} bytes; the same doc from them: ${same}`,
  );
}
console.log(`ms: ${times.map((t) => t.toFixed(0)).join(', ')}`);
