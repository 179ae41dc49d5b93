import { expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { pseudoString } from '../../renderer/i18n/pseudo';

type Tree = { [key: string]: string | Tree };
const load = (lng: string): Tree =>
  JSON.parse(
    readFileSync(new URL(`../../renderer/i18n/locales/${lng}/app.json`, import.meta.url), 'utf8'),
  ) as Tree;
const en = load('en');
const es = load('es');
const so = load('so');
const hmn = load('hmn');

/** The catalogs, to find the app's controls by the names a volunteer reads in each language. */
export const CATALOGS = { en, es, so, hmn } as const;
export type Shipped = keyof typeof CATALOGS;

/** A catalog string with its `{{placeholders}}` filled, `_one`/`_other` chosen by English-like rules. */
export function words(language: Shipped | 'pseudo', key: string, vars: Record<string, string | number> = {}) {
  const catalog = language === 'pseudo' ? en : CATALOGS[language];
  const find = (k: string) =>
    k
      .split('.')
      .reduce<string | Tree | undefined>(
        (node, part) => (typeof node === 'object' ? node[part] : undefined),
        catalog,
      );
  const plural =
    'count' in vars ? find(`${key}_${vars.count === 1 && language !== 'hmn' ? 'one' : 'other'}`) : undefined;
  const raw = plural ?? find(key);
  if (typeof raw !== 'string') throw new Error(`No string ${key} in ${language}`);
  const text = language === 'pseudo' ? pseudoString(raw) : raw;
  return text.replace(/\{\{\s*(\w+)[^}]*\}\}/g, (_, name: string) => String(vars[name] ?? `{{${name}}}`));
}

/** Goes to a screen by its name in the navigation, and waits for its heading. */
export async function goToScreen(page: Page, name: string): Promise<void> {
  // Exactly that name: in Hmong "Khoom" (Items) is also the start of "Khoom muaj" (Stock).
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
}

/**
 * Elements whose text is cut off or spills out of its box: wider content than the box where the box
 * clips it, or anything past the right edge of the window. Hidden elements are ignored.
 */
export async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const width = document.documentElement.clientWidth;
    for (const el of document.querySelectorAll<HTMLElement>('main *, nav *')) {
      // Visible, and not text kept for screen readers only (clipped on purpose).
      if (!el.checkVisibility() || el.closest('.visually-hidden')) continue;
      const style = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      const label = `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ')[0]}` : ''} "${(el.textContent || (el as HTMLInputElement).placeholder || '').trim().slice(0, 40)}"`;
      if (rect.right > width + 1) out.push(`past the window's edge: ${label}`);
      const clips = style.overflowX !== 'visible' || style.textOverflow === 'ellipsis';
      if (
        clips &&
        el.scrollWidth > el.clientWidth + 1 &&
        el.tagName !== 'TABLE' &&
        !el.matches('.table-wrap, .content')
      )
        out.push(`cut off: ${label}`);
      if (el instanceof HTMLInputElement && el.placeholder) {
        // A placeholder wider than its input is cut off.
        const probe = document.createElement('span');
        probe.style.cssText = `position:absolute;visibility:hidden;white-space:pre;font:${style.font}`;
        probe.textContent = el.placeholder;
        document.body.append(probe);
        const inner =
          el.clientWidth - parseFloat(style.paddingInlineStart) - parseFloat(style.paddingInlineEnd);
        if (probe.getBoundingClientRect().width > inner + 1) out.push(`placeholder cut off: ${label}`);
        probe.remove();
      }
      if (el instanceof HTMLSelectElement && el.selectedOptions[0]) {
        // The chosen option's words wider than the box (less its arrow) are cut off.
        const probe = document.createElement('span');
        probe.style.cssText = `position:absolute;visibility:hidden;white-space:pre;font:${style.font}`;
        probe.textContent = el.selectedOptions[0].text;
        document.body.append(probe);
        const arrow = 20;
        const inner =
          el.clientWidth - parseFloat(style.paddingInlineStart) - parseFloat(style.paddingInlineEnd) - arrow;
        if (probe.getBoundingClientRect().width > inner + 1)
          out.push(`choice cut off: select "${el.selectedOptions[0].text.slice(0, 40)}"`);
        probe.remove();
      }
    }
    return out;
  });
}
