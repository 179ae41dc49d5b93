import { useState } from 'react';
import { useTranslation } from 'react-i18next';
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
  const { t } = useTranslation();
  const [error, setError] = useState<string | undefined>();
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
        {t('barcode.notNow')}
      </button>
    </div>
  );
}
