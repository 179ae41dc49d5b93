import { useEffect, useRef, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../i18n/format';

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
