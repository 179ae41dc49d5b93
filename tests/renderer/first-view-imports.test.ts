import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * What the app's first view loads. The page compiles and runs every module its entry imports before it can
 * show anything, and on a hub's old laptop that was most of the first second: the store's heavy half (the
 * doc, its persistence, signatures, sealing) and sync load after the first view instead (LarderStore's
 * `partsLater`, SyncControl, renderer/app/lazyScreen.ts). This follows the entry's static imports (type-only
 * imports and `import()` left out, as the bundler does) and fails if one reaches a package or module of
 * that half: an import added to a first-view file would quietly put it back.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRY = resolve(root, 'renderer/main.tsx');
/** A coordinator's first view: its module loads alone, the rest after it (renderer/app/Shell.tsx). */
const NETWORK_SCREEN = resolve(root, 'renderer/screens/NetworkScreen.tsx');

/** Packages the first view must not load, by what they are for. */
const LATER_PACKAGES = [
  'zod', // validating what peers, files and forms bring
  'yjs', // the doc
  'lib0',
  'y-webrtc',
  'y-protocols',
  'fflate', // sync files' compression
  'hash-wasm', // verifying signed histories
  '@noble/curves', // signatures
  '@noble/hashes',
  '@hpke/core', // sealing keys to devices
  '@hpke/dhkem-x25519',
  'papaparse', // spreadsheets and the needs list's CSV
  'jsqr', // reading invites with the camera
];

/** The app's own modules of that half. */
const LATER_MODULES = [
  'renderer/storage/persistence.ts',
  'renderer/storage/store/parts.ts',
  'renderer/storage/store/context.ts',
  'renderer/sync/webrtc.ts',
  'renderer/sync/relay.ts',
  'renderer/sync/syncFiles.ts',
  'shared/doc.ts',
  'shared/entries.ts',
  'shared/trust/crypto.ts',
];

/** A module's imports that are values (not type-only), as written. */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const node of source.statements) {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      if (clause?.isTypeOnly) continue;
      const named = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        clause.name === undefined &&
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes) out.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      const named = node.exportClause;
      if (named && ts.isNamedExports(named) && named.elements.every((e) => e.isTypeOnly)) continue;
      out.push((node.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return out;
}

function resolveLocal(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`])
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  return null;
}

const packageOf = (spec: string) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;

/** Every module and package the entry reaches, each with the chain of imports that reaches it. */
function reached(entry: string): { modules: Map<string, string[]>; packages: Map<string, string[]> } {
  const modules = new Map<string, string[]>([[entry, [relative(root, entry)]]]);
  const packages = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    const chain = modules.get(file)!;
    for (const spec of valueImports(file)) {
      if (spec.startsWith('.')) {
        const target = resolveLocal(file, spec);
        if (!target || !/\.tsx?$/.test(target) || modules.has(target)) continue;
        modules.set(target, [...chain, relative(root, target)]);
        queue.push(target);
      } else if (!packages.has(packageOf(spec))) packages.set(packageOf(spec), [...chain, spec]);
    }
  }
  return { modules, packages };
}

/** The two checks of a first view's code: none of the later packages, none of the later modules. */
function loadsNothingLater(modules: Map<string, string[]>, packages: Map<string, string[]>): void {
  it('loads none of the packages that come after it', () => {
    const found = LATER_PACKAGES.filter((p) => packages.has(p)).map((p) => packages.get(p)!.join(' -> '));
    expect(found).toEqual([]);
  });

  it("loads none of the store's and sync's heavy modules", () => {
    const found = LATER_MODULES.map((m) => resolve(root, m))
      .filter((m) => modules.has(m))
      .map((m) => modules.get(m)!.join(' -> '));
    expect(found).toEqual([]);
  });
}

describe("the first view's code", () => {
  const { modules, packages } = reached(ENTRY);

  it('follows the imports it should (the stock screen, the store, Dexie, React and i18next are reached)', () => {
    const names = [...modules.keys()].map((m) => relative(root, m));
    expect(names).toEqual(
      expect.arrayContaining([
        'renderer/app/App.tsx',
        'renderer/screens/StockScreen.tsx',
        'renderer/storage/store.ts',
        'renderer/storage/db.ts',
      ]),
    );
    expect([...packages.keys()]).toEqual(expect.arrayContaining(['react', 'dexie', 'i18next']));
  });

  loadsNothingLater(modules, packages);

  it('finds such an import when there is one (the check itself can fail)', () => {
    // The store's parts, followed from their own module: the doc, zod and the signatures are reached.
    const parts = reached(resolve(root, 'renderer/storage/store/parts.ts'));
    expect([...parts.packages.keys()]).toEqual(expect.arrayContaining(['yjs', 'zod', '@noble/curves']));
    expect(parts.modules.has(resolve(root, 'renderer/storage/persistence.ts'))).toBe(true);
  });
});

describe("a coordinator's first view: the Network screen's code, loaded alone", () => {
  const { modules, packages } = reached(NETWORK_SCREEN);

  it('follows its imports (its model, the network logic and the transfers are reached)', () => {
    const names = [...modules.keys()].map((m) => relative(root, m));
    expect(names).toEqual(
      expect.arrayContaining([
        'renderer/data/networkModel.ts',
        'shared/network/index.ts',
        'shared/transfers.ts',
      ]),
    );
  });

  loadsNothingLater(modules, packages);

  it('is declared to load alone (without the rest of the code), as this test assumes', () => {
    const shell = readFileSync(resolve(root, 'renderer/app/Shell.tsx'), 'utf8');
    expect(shell).toMatch(
      /lazyScreen\(\(\) => import\('\.\.\/screens\/NetworkScreen'\), 'NetworkScreen', \{\s*withTheRest: false,?\s*\}\)/,
    );
  });
});
