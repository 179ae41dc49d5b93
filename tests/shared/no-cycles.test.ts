import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * No module in shared/ imports one that imports it back, directly or through others. A type-only import
 * counts too: it ties the two modules' designs together just the same. The graph is read with the
 * TypeScript parser (imports, `export ... from`, dynamic `import()`), so no bundler or network is needed.
 *
 * One exception, by design: shared/messages.ts imports the types of entry kinds, transfer states and
 * setting maps (and nothing else) so that the compiler checks each has its message word; every module
 * imports messages.ts, so those type-only edges would close a loop with all of them.
 */
const TYPES_CHECKED_BY_MESSAGES = new Set([
  'shared/entries.ts',
  'shared/transfers.ts',
  'shared/trust/settings.ts',
]);
const ROOT = join(import.meta.dirname, '../..');
const SHARED = join(ROOT, 'shared');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The relative modules a source file names, resolved to files. */
export function importsOf(path: string, text = readFileSync(path, 'utf8')): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const specifiers: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    )
      specifiers.push(node.moduleSpecifier.text);
    else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    )
      specifiers.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => {
      const base = resolve(dirname(path), s.replace(/\.js$/, ''));
      const found = [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
      if (!found) throw new Error(`${relative(ROOT, path)} imports ${s}, which is not a file here`);
      return found;
    });
}

/** Every cycle's modules, in import order, found by depth-first search (each cycle once per entry point). */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (node: string) => {
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (onStack.has(next)) cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!done.has(next)) visit(next);
    }
    stack.pop();
    onStack.delete(node);
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) if (!done.has(node)) visit(node);
  return cycles;
}

describe('shared/ has no import cycles', () => {
  it('finds a cycle when there is one (the check can fail)', () => {
    // The shape shared/network had: view -> summaries -> suggest -> view (suggest took a type from view).
    const graph = new Map([
      ['view', ['summaries', 'suggest']],
      ['summaries', ['suggest']],
      ['suggest', ['cover', 'view']],
      ['cover', []],
    ]);
    expect(cyclesOf(graph)).toEqual([
      ['suggest', 'view', 'summaries', 'suggest'],
      ['suggest', 'view', 'suggest'],
    ]);
    expect(
      cyclesOf(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toEqual([]);
    expect(
      importsOf(join(SHARED, 'x.ts'), "import type { A } from './keys';\nexport * from './days';"),
    ).toEqual([join(SHARED, 'keys.ts'), join(SHARED, 'days.ts')]);
  });

  it('in any module, type-only imports included', () => {
    const messages = join(SHARED, 'messages.ts');
    const graph = new Map(
      files(SHARED).map((f) => [
        f,
        importsOf(f).filter((to) => f !== messages || !TYPES_CHECKED_BY_MESSAGES.has(relative(ROOT, to))),
      ]),
    );
    const cycles = cyclesOf(graph).map((c) => c.map((f) => relative(ROOT, f)).join(' -> '));
    expect(cycles).toEqual([]);
  });
});
