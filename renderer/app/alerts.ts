import { useLiveQuery } from 'dexie-react-hooks';
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../i18n/format';
import { stockStatus } from '../../shared/status';
import { effectiveLevels } from '../../shared/levels';
import { useStore } from './StoreContext';

/** Items at a hub that are below their minimum (own levels or their category's default), live. */
export function useBelowMinimum(hub: string | null): { item: string; name: string }[] | undefined {
  const store = useStore();
  return useLiveQuery(async () => {
    if (!hub) return [];
    const db = store.db;
    const [stock, levels, categoryLevels, items] = await Promise.all([
      db.stock.where('hub').equals(hub).toArray(),
      db.levels.where('hub').equals(hub).toArray(),
      db.categoryLevels.where('hub').equals(hub).toArray(),
      db.items.toArray(),
    ]);
    const own = new Map(levels.map((l) => [l.key, l]));
    const byCategory = new Map(categoryLevels.map((l) => [l.key, l]));
    const onHand = new Map(stock.map((s) => [s.item, s.onHand]));
    const out: { item: string; name: string }[] = [];
    for (const item of items) {
      const lv = effectiveLevels(hub, item, own, byCategory);
      if (lv && lv.min > 0 && stockStatus(onHand.get(item.id) ?? 0, lv) !== 'ok')
        out.push({ item: item.id, name: item.name });
    }
    return out;
  }, [hub]);
}

const PREF = 'larder.desktopAlerts';
const listeners = new Set<() => void>();

/** Desktop alerts are opt-in, per device: a preference of this screen, not data of the network. */
export function useDesktopAlertsPref(): [boolean, (on: boolean) => Promise<string | null>] {
  const { t } = useTranslation();
  const on = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () =>
      localStorage.getItem(PREF) === 'on' &&
      typeof Notification !== 'undefined' &&
      Notification.permission === 'granted',
  );
  const set = async (next: boolean) => {
    if (next) {
      if (typeof Notification === 'undefined') return t('alerts.unsupported');
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') return t('alerts.notAllowed');
    }
    localStorage.setItem(PREF, next ? 'on' : 'off');
    for (const l of listeners) l();
    return null;
  };
  return [on, set];
}

/** Shows a desktop notification when an item newly drops below its minimum, if alerts are on. */
export function useDesktopAlerts(
  below: { item: string; name: string }[] | undefined,
  enabled: boolean,
): void {
  const known = useRef<Set<string> | null>(null);
  const { t } = useTranslation();
  const format = useFormat();
  useEffect(() => {
    if (!below) return;
    const now = new Set(below.map((b) => b.item));
    const previous = known.current;
    known.current = now;
    if (!previous || !enabled) return;
    const fresh = below.filter((b) => !previous.has(b.item));
    if (fresh.length === 0) return;
    const names = fresh.map((b) => b.name);
    new Notification(t('alerts.title'), {
      body:
        names.length === 1
          ? t('alerts.one', { name: names[0] })
          : t('alerts.many', { n: format.number(names.length), names: format.list(names) }),
      tag: 'larder-below-minimum',
    });
  }, [below, enabled, t, format]);
}
