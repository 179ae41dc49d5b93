import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * shared/ keeps no user-facing English: what it has to say to a person is a message code and parameters
 * (shared/messages.ts), put into words by the renderer's catalogs. This test reads every string literal
 * and template in shared/**\/*.ts (comments aside) and fails on one that reads like a sentence or a
 * label, unless it is developer-only and listed below with the reason.
 */
const ROOT = join(import.meta.dirname, '../..');
const SHARED = join(ROOT, 'shared');

/** Text a person could read as words: a capitalised word followed by a lower-case one, or three words. */
const LOOKS_LIKE_WORDS = /(^|[\s"“(])[A-Z][a-z’']+ [a-z]+|\b[a-z]+ [a-z]+ [a-z]+\b/;

/**
 * Developer-only strings, by file and text (a prefix is enough), each with why a person never reads it.
 * `throw new Error(...)` is always developer-only (a programming error, logged; forms and problems carry
 * codes) and needs no entry here.
 */
const ALLOWED: { file: string; text: string; why: string }[] = [
  {
    file: 'shared/import/export.ts',
    text: '',
    why: 'the stock and history CSV headers: stable machine headers that import reads back (docs/translation.md)',
  },
  {
    file: 'shared/import/columns.ts',
    text: '',
    why: 'header words the importer recognises in a sheet, in four languages: read, never shown',
  },
  {
    file: 'shared/checkpoint/rows.ts',
    text: 'Unexpected end of array',
    why: 'lib0’s own error message, compared with what its reader throws: never shown',
  },
  {
    file: 'shared/checkpoint/rows.ts',
    text: 'Integer out of Range',
    why: 'lib0’s own error message, compared with what its reader throws: never shown',
  },
  {
    file: 'shared/checkpoint/rows.ts',
    text: 'an entry id',
    why: 'what a malformed checkpoint’s dictionary should hold, in a fault’s detail for logs (checkpoint.malformed)',
  },
  {
    file: 'shared/checkpoint/rows.ts',
    text: 'transfer or target',
    why: 'which reference of a malformed checkpoint row is out of range, in a fault’s detail for logs',
  },
];

/**
 * Strings that go straight into a call whose text no person reads, by callee, with the reason.
 * `throw new Error(...)` (or any `...Error` class) is always developer-only and needs no entry.
 */
const ALLOWED_CALLS: { callee: RegExp; why: string }[] = [
  {
    callee: /^(refine|superRefine|regex|min|max|length|startsWith)$/,
    why: 'a zod issue text: the core passes on only the path of a zod issue, as a message parameter',
  },
  {
    callee: /^fault$/,
    why: 'a malformed checkpoint’s detail for logs (shared/checkpoint): the refusal itself is checkpoint.malformed',
  },
];

/** Domain-separation labels of signed or derived bytes ("larder head v1|..."): part of a protocol, never shown. */
const PROTOCOL_LABEL = /^larder [a-z]+( [a-z]+)*( v\d+)?(\||\n| | … |$)/;
interface Found {
  file: string;
  line: number;
  text: string;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Inside `throw new Error(...)` (or another Error class): developer-only by rule. */
function inThrownError(node: ts.Node): boolean {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && /Error$/.test(n.expression.text))
      return true;
    if (ts.isStatement(n) || ts.isFunctionLike(n)) return false;
  }
  return false;
}

/** The name of the function the literal is passed to directly (`x.refine(fn, 'text')` gives refine). */
function calleeOf(node: ts.Node): string | null {
  const call = node.parent;
  if (!call || !ts.isCallExpression(call) || !call.arguments.includes(node as ts.Expression)) return null;
  const fn = call.expression;
  if (ts.isIdentifier(fn)) return fn.text;
  if (ts.isPropertyAccessExpression(fn)) return fn.name.text;
  return null;
}

/** Inside a type (a union of string literals is a code, not words), or an import. */
function inTypeOrImport(node: ts.Node): boolean {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isTypeNode(n) || ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) return true;
    if (ts.isStatement(n)) return false;
  }
  return false;
}

function literalsOf(path: string): Found[] {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: Found[] = [];
  const visit = (node: ts.Node) => {
    let text: string | null = null;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
    else if (ts.isTemplateExpression(node))
      text = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' … ');
    const callee = calleeOf(node);
    const allowedCall = callee !== null && ALLOWED_CALLS.some((c) => c.callee.test(callee));
    if (text !== null && !inThrownError(node) && !inTypeOrImport(node) && !allowedCall) {
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      out.push({ file: relative(ROOT, path), line, text });
    }
    if (!ts.isTemplateExpression(node)) ts.forEachChild(node, visit);
    else node.templateSpans.forEach((s) => ts.forEachChild(s.expression, visit));
  };
  visit(source);
  return out;
}

const allowed = (f: Found) =>
  PROTOCOL_LABEL.test(f.text) || ALLOWED.some((a) => a.file === f.file && f.text.startsWith(a.text));

describe('shared/ holds no user-facing English', () => {
  const found = files(SHARED).flatMap(literalsOf);

  it('reads the literals of every file (the scan itself works)', () => {
    expect(found.length).toBeGreaterThan(500);
    expect(found.some((f) => f.file === 'shared/messages.ts' && f.text === 'quantity.tooLarge')).toBe(true);
  });

  it('no string in shared/ reads like a sentence, except developer-only ones listed with a reason', () => {
    const sentences = found
      .filter((f) => LOOKS_LIKE_WORDS.test(f.text) && !allowed(f))
      .map((f) => `${f.file}:${f.line}: ${JSON.stringify(f.text)}`);
    expect(sentences).toEqual([]);
  });

  it('every allowance is still needed (none hides nothing)', () => {
    const unused = ALLOWED.filter((a) => !found.some((f) => f.file === a.file && f.text.startsWith(a.text)));
    expect(unused).toEqual([]);
  });

  it('catches a sentence, in a string or a template, and passes codes and thrown errors', () => {
    const probe = join(import.meta.dirname, 'no-english.probe.txt');
    const check = (code: string) => {
      const sourceFile = ts.createSourceFile(probe, code, ts.ScriptTarget.Latest, true);
      const texts: string[] = [];
      const visit = (node: ts.Node) => {
        if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && !inThrownError(node))
          texts.push(node.text);
        else if (ts.isTemplateExpression(node) && !inThrownError(node)) texts.push(node.head.text);
        ts.forEachChild(node, visit);
      };
      visit(sourceFile);
      return texts.some((t) => LOOKS_LIKE_WORDS.test(t));
    };
    expect(check(`issues.add('note', 'Note is too long');`)).toBe(true);
    expect(check('const m = `Unknown entry kind ${k}`;')).toBe(true);
    expect(check(`const r = { reason: 'the entry is not signed by its device' };`)).toBe(true);
    expect(check(`issues.add('note', msg('form.noteTooLong', { count: 3, max: 2 }));`)).toBe(false);
    expect(check(`throw new Error('two positions for one hub and item');`)).toBe(false);
    expect(check(`const k = 'in transit';`)).toBe(false);
    expect(PROTOCOL_LABEL.test('larder relay blob v1|')).toBe(true);
    expect(PROTOCOL_LABEL.test('larder signaling topic  … ')).toBe(true);
    expect(PROTOCOL_LABEL.test('Larder is a stock app')).toBe(false);
  });
});
