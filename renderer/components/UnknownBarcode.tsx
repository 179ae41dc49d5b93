import { useState } from 'react';
import type { Item } from '../../shared/catalog';
import { useStore } from '../app/StoreContext';
import { toFormErrors } from '../app/errors';
import { ItemPicker } from './ItemPicker';

/** A scanner read a code no item has: offer to attach it to an item, so next time it just works. */
export function UnknownBarcode({
  code,
  items,
  onAttached,
  onDismiss,
}: {
  code: string;
  items: readonly Item[];
  onAttached: (item: Item) => void;
  onDismiss: () => void;
}) {
  const store = useStore();
  const [error, setError] = useState<string | undefined>();
  return (
    <div className="notice" role="alert" aria-label="Unknown barcode">
      <p>
        <strong>Unknown barcode {code}.</strong> No item has it yet; nothing was added. Attach it to an item:
      </p>
      <ItemPicker
        label={`Attach barcode ${code} to`}
        items={items}
        placeholder="Type the item's name"
        error={error}
        onPick={async (item) => {
          try {
            const updated = await store.attachBarcode(item.id, code);
            onAttached(updated);
          } catch (e) {
            setError(toFormErrors(e).summary.join(' '));
          }
        }}
      />
      <button type="button" className="link" onClick={onDismiss}>
        Not now
      </button>
    </div>
  );
}
