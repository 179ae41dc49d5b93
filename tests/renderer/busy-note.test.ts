import { describe, expect, it } from 'vitest';
import { busyNote, type BusyState } from '../../renderer/app/hooks';

/**
 * What a form says while its save runs (useBusyNote's decision): that it waits for a rebuild's figures or
 * the history's load, with how far it is, only when the save really waits for it; otherwise "Saving…" once
 * it has run a while, or nothing.
 */
const idle: BusyState = {
  busy: true,
  figures: null,
  opening: null,
  slow: false,
  early: false,
  duringRebuild: false,
  saves: true,
  takesEarlySaves: false,
  takesSavesWhileRebuilding: false,
  savesWaitForDoc: false,
};
const note = (change: Partial<BusyState>) => busyNote({ ...idle, ...change });

describe('the note a form shows while it saves', () => {
  it('says nothing when the command is not running, whatever the store is doing', () => {
    expect(note({ busy: false, figures: 40, opening: 10, slow: true })).toBeNull();
  });

  it('says nothing for a quick save, then "Saving…" (or "Working…" for a command that makes something)', () => {
    expect(note({})).toBeNull();
    expect(note({ slow: true })).toEqual({ key: 'saving' });
    expect(note({ slow: true, saves: false })).toEqual({ key: 'working' });
  });

  it('says a save waits for the figures while a rebuild works them out, unless the store takes it meanwhile', () => {
    // A form whose saves wait for the figures (a count, a setting), or one the store does not take now.
    expect(note({ figures: 40 })).toEqual({ key: 'onceFigures', percent: 40 });
    expect(note({ figures: 40, duringRebuild: true })).toEqual({ key: 'onceFigures', percent: 40 });
    expect(note({ figures: 40, takesSavesWhileRebuilding: true })).toEqual({
      key: 'onceFigures',
      percent: 40,
    });
    // A donation, pickup, transfer or undo the store takes meanwhile: saved at once.
    const taken = { figures: 40, duringRebuild: true, takesSavesWhileRebuilding: true };
    expect(note(taken)).toBeNull();
    expect(note({ ...taken, slow: true })).toEqual({ key: 'saving' });
    // ...unless a save claimed before it waits for the figures: this one waits behind it.
    expect(note({ ...taken, savesWaitForDoc: true })).toEqual({ key: 'onceFigures', percent: 40 });
    expect(note({ ...taken, savesWaitForDoc: true, saves: false })).toEqual({
      key: 'onceFigures',
      percent: 40,
    });
  });

  it('says a save waits for the history while it opens, unless the store takes it early', () => {
    expect(note({ opening: 12 })).toEqual({ key: 'onceOpen', percent: 12 });
    expect(note({ opening: 12, early: true })).toEqual({ key: 'onceOpen', percent: 12 });
    expect(note({ opening: 12, takesEarlySaves: true })).toEqual({ key: 'onceOpen', percent: 12 });
    expect(note({ opening: 12, early: true, takesEarlySaves: true })).toBeNull();
    expect(note({ opening: 12, early: true, takesEarlySaves: true, slow: true })).toEqual({ key: 'saving' });
    // Before a rebuild at the load's end, the saves taken while it works out the figures are taken from the
    // load's start...
    const rebuildAhead = { opening: 12, duringRebuild: true, takesSavesWhileRebuilding: true };
    expect(note(rebuildAhead)).toBeNull();
    // ...unless one claimed before waits for the doc.
    expect(note({ ...rebuildAhead, savesWaitForDoc: true })).toEqual({ key: 'onceOpen', percent: 12 });
  });

  it("names the figures before the history's load when both are shown", () => {
    expect(note({ figures: 70, opening: 100 })).toEqual({ key: 'onceFigures', percent: 70 });
    expect(note({ figures: 70, opening: 100, early: true, takesEarlySaves: true })).toEqual({
      key: 'onceFigures',
      percent: 70,
    });
  });
});
