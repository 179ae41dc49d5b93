import { describe, expect, it } from 'vitest';
import { FRONT_DESK_KEY, frontDeskSetting } from '../../renderer/app/frontDesk';

/** A localStorage of one page: a Map behind getItem/setItem, which can be made to refuse writes. */
class MemoryStorage {
  readonly data = new Map<string, string>();
  refuse = false;
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.refuse) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    this.data.set(key, value);
  }
}

describe('front-desk mode, a setting of this device', () => {
  it('is off on a device that never chose it', () => {
    expect(frontDeskSetting(() => new MemoryStorage()).get()).toBe(false);
  });

  it('is kept in localStorage under its own key, and read back by the next page on the device', () => {
    const storage = new MemoryStorage();
    frontDeskSetting(() => storage).set(true);
    expect(storage.data.get(FRONT_DESK_KEY)).toBe('on');
    // A reload: a new setting over the same storage.
    expect(frontDeskSetting(() => storage).get()).toBe(true);
    frontDeskSetting(() => storage).set(false);
    expect(storage.data.get(FRONT_DESK_KEY)).toBe('off');
    expect(frontDeskSetting(() => storage).get()).toBe(false);
  });

  it('reads anything but "on" as off (a value written by hand or by another version)', () => {
    for (const value of ['true', '1', 'ON', '', 'off']) {
      const storage = new MemoryStorage();
      storage.data.set(FRONT_DESK_KEY, value);
      expect(frontDeskSetting(() => storage).get(), value).toBe(false);
    }
  });

  it('tells its subscribers of each change, until they unsubscribe', () => {
    const storage = new MemoryStorage();
    const setting = frontDeskSetting(() => storage);
    const seen: boolean[] = [];
    const unsubscribe = setting.subscribe(() => seen.push(setting.get()));
    setting.set(true);
    setting.set(false);
    unsubscribe();
    setting.set(true);
    expect(seen).toEqual([true, false]);
  });

  it('still switches for this page when storage refuses the write (private mode, a full disk)', () => {
    const storage = new MemoryStorage();
    storage.refuse = true;
    const setting = frontDeskSetting(() => storage);
    let told = 0;
    setting.subscribe(() => told++);
    setting.set(true);
    expect(setting.get()).toBe(true);
    expect(told).toBe(1);
    expect(storage.data.has(FRONT_DESK_KEY)).toBe(false);
    // Once storage takes writes again, the choice is saved and read from it.
    storage.refuse = false;
    setting.set(false);
    expect(storage.data.get(FRONT_DESK_KEY)).toBe('off');
    expect(setting.get()).toBe(false);
  });

  it('works with no storage at all, and with one whose reads throw', () => {
    const none = frontDeskSetting(() => undefined);
    expect(none.get()).toBe(false);
    none.set(true);
    expect(none.get()).toBe(true);
    const throwing = frontDeskSetting(() => ({
      getItem: () => {
        throw new DOMException('Access is denied', 'SecurityError');
      },
      setItem: () => undefined,
    }));
    expect(throwing.get()).toBe(false);
  });
});
