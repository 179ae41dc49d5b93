import type { NetworkModel, NetworkSnapshot } from '../../renderer/data/networkModel';

/** The next snapshot `model` publishes after `act` (the first one when the model is new). */
export async function nextSnapshot(
  model: NetworkModel,
  act: () => Promise<unknown> = async () => undefined,
): Promise<NetworkSnapshot> {
  const before = model.current?.version ?? 0;
  const published = new Promise<NetworkSnapshot>((resolve) => {
    const off = model.subscribe(() => {
      const snap = model.current;
      if (snap && snap.version > before) {
        off();
        resolve(snap);
      }
    });
  });
  await act();
  return published;
}
