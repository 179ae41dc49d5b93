import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Item } from '../../shared/catalog';
import type { Levels } from '../../shared/status';
import { useStore } from '../app/StoreContext';
import { noErrors, toFormErrors, type FormErrors } from '../app/errors';
import { useCommand } from '../app/useCommand';
import { Field } from './Field';
import { CommandStatus } from './StatusMessage';

/** This hub's minimum and target for one item: settings, so a concurrent edit may win over this one. */
export function LevelsEditor({
  item,
  levels,
  hub,
  onDone,
}: {
  item: Item;
  levels?: Levels;
  hub?: string;
  onDone: () => void;
}) {
  const store = useStore();
  const { t } = useTranslation();
  const [min, setMin] = useState(levels ? String(levels.min) : '');
  const [target, setTarget] = useState(levels ? String(levels.target) : '');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  // One save at a time, and what it waits for said while it does (the history's opening, a busy disk).
  const command = useCommand();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    let saved = false;
    await command.run(async () => {
      try {
        await store.setLevels(item.id, { min, target }, hub);
        saved = true;
      } catch (error) {
        setErrors(toFormErrors(error));
      }
    });
    if (saved) onDone();
  };

  return (
    <form
      className="inline-form"
      onSubmit={submit}
      noValidate
      aria-label={t('levelsEditor.label', { name: item.name })}
    >
      <Field
        label={t('levelsEditor.min', { name: item.name })}
        error={errors.fields.min}
        hint={t('levelsEditor.minHint')}
      >
        {(p) => (
          <input {...p} inputMode="numeric" value={min} onChange={(e) => setMin(e.target.value)} autoFocus />
        )}
      </Field>
      <Field
        label={t('levelsEditor.target', { name: item.name })}
        error={errors.fields.target}
        hint={t('levelsEditor.targetHint')}
      >
        {(p) => (
          <input {...p} inputMode="numeric" value={target} onChange={(e) => setTarget(e.target.value)} />
        )}
      </Field>
      <div className="actions">
        <button type="submit" className="primary" disabled={command.busy}>
          {t('levelsEditor.save')}
        </button>
        <button type="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
        <CommandStatus command={command} />
      </div>
    </form>
  );
}
