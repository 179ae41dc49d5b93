import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { searchItems, type Item } from '../../shared/catalog';
import { useCategoryName } from '../i18n/categories';

interface ItemPickerProps {
  items: readonly Item[];
  label: string;
  /** A person (or a barcode scanner) chose an item. */
  onPick: (item: Item) => void;
  /** Enter on something that looks like a barcode: digits only, 6 or more. */
  onBarcode?: (code: string) => void;
  inputRef?: React.Ref<HTMLInputElement>;
  error?: string;
  placeholder?: string;
}

const BARCODE = /^\d{6,32}$/;

/**
 * Type to find an item; arrows move, Enter picks. A USB barcode scanner types digits then Enter, which
 * lands here too and is handed to `onBarcode`.
 */
export function ItemPicker({
  items,
  label,
  onPick,
  onBarcode,
  inputRef,
  error,
  placeholder,
}: ItemPickerProps) {
  const { t } = useTranslation();
  const categoryName = useCategoryName();
  const id = useId();
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);
  const matches = useMemo(() => (query.trim() ? searchItems(query, items).slice(0, 8) : []), [query, items]);
  const listId = `${id}-list`;
  // Closing on blur waits a moment (a click on an option lands first). Coming back before then, as
  // Enter in a quantity does, cancels it: a stale close must not shut the list being typed into.
  const closeTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const cancelClose = () => {
    if (closeTimer.current !== null) clearTimeout(closeTimer.current);
    closeTimer.current = null;
  };
  useEffect(() => cancelClose, []);

  const pick = (item: Item) => {
    setQuery('');
    setOpen(false);
    setActive(0);
    onPick(item);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(a + 1, Math.max(matches.length - 1, 0)));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Escape') {
      setOpen(false);
    } else if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      const code = query.trim();
      if (onBarcode && BARCODE.test(code)) {
        setQuery('');
        setOpen(false);
        onBarcode(code);
        return;
      }
      const item = matches[active];
      if (item) pick(item);
    }
  };

  return (
    <div className={error ? 'field picker field-invalid' : 'field picker'}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        ref={inputRef}
        role="combobox"
        aria-expanded={open && matches.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open && matches[active] ? `${id}-opt-${active}` : undefined}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        autoComplete="off"
        placeholder={placeholder ?? t('picker.placeholder')}
        value={query}
        onChange={(e) => {
          cancelClose();
          setQuery(e.target.value);
          setActive(0);
          setOpen(true);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => {
          cancelClose();
          closeTimer.current = setTimeout(() => {
            closeTimer.current = null;
            setOpen(false);
          }, 150);
        }}
        onFocus={() => {
          cancelClose();
          setOpen(true);
        }}
      />
      {open && matches.length > 0 && (
        <ul className="picker-list" role="listbox" id={listId} aria-label={t('picker.matches', { label })}>
          {matches.map((item, i) => (
            <li
              key={item.id}
              id={`${id}-opt-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(item);
              }}
            >
              <span>{item.name}</span>
              <span className="muted">
                {categoryName(item.category)} · {item.unit}
                {item.packSize ? ` · ${t('picker.packOf', { count: item.packSize })}` : ''}
              </span>
            </li>
          ))}
        </ul>
      )}
      {open && query.trim() && matches.length === 0 && !BARCODE.test(query.trim()) && (
        <p className="picker-empty">{t('picker.noMatch', { query: query.trim() })}</p>
      )}
      {error && (
        <span className="field-error" id={`${id}-error`} role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
