import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Item } from '../../shared/catalog';
import { useStore } from '../app/StoreContext';
import { toFormErrors } from '../app/errors';
import { useCommand } from '../app/useCommand';
import { ItemPicker } from './ItemPicker';
import { CommandStatus } from './StatusMessage';

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
  const { t } = useTranslation();
  const [error, setError] = useState<string | undefined>();
  // Busy while the barcode is saved: a second pick (a double Enter) is ignored, so one scan adds one unit.
  const command = useCommand();
  return (
    <div className="notice" role="alert" aria-label={t('barcode.unknownLabel')}>
      <p>
        <strong>{t('barcode.unknown', { code })}</strong> {t('barcode.attachAdvice')}
      </p>
      <ItemPicker
        label={t('barcode.attachTo', { code })}
        items={items}
        placeholder={t('barcode.placeholder')}
        error={error}
        onPick={(item) => {
          if (command.busy) return;
          command.clear();
          setError(undefined);
          void command.run(() => store.attachBarcode(item.id, code), {
            done: (updated) => {
              onAttached(updated);
              return null;
            },
            // What the core says about the barcode or the item shows at the finder; a failure to save (which
            // names no field) in the status line.
            failed: (e) => {
              const found = toFormErrors(e);
              if (found.summaryFields) {
                setError(found.summary.join(' '));
                return '';
              }
              return found.summary.join(' ');
            },
          });
        }}
      />
      <button type="button" className="link" disabled={command.busy} onClick={onDismiss}>
        {t('barcode.notNow')}
      </button>
      <CommandStatus command={command} />
    </div>
  );
}
