import { useId, useState, type ReactNode } from 'react';

/** Which sections are open, for this tab: a page reloaded to allow a new server keeps them open. */
const KEY = 'larder.disclosures';

function readOpen(): Set<string> {
  try {
    const saved: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? '[]');
    return new Set(Array.isArray(saved) ? saved.filter((x): x is string => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

function saveOpen(name: string, open: boolean): void {
  const all = readOpen();
  if (open) all.add(name);
  else all.delete(name);
  try {
    sessionStorage.setItem(KEY, JSON.stringify([...all]));
  } catch {
    // Storage full or refused: the section is open or closed for this view only.
  }
}

interface DisclosureProps {
  /** Names the section for remembering whether it is open (unique per screen). */
  name: string;
  title: string;
  /** One line shown under the title while the section is closed (what is inside, or its state). */
  summary?: ReactNode;
  children: ReactNode;
}

/**
 * A card whose content is shown on demand: its heading is a button (aria-expanded, Enter or Space
 * opens and closes it), and the card is a region named by its title, open or not.
 */
export function Disclosure({ name, title, summary, children }: DisclosureProps) {
  const id = useId();
  const [open, setOpen] = useState(() => readOpen().has(name));
  const toggle = () => {
    setOpen(!open);
    saveOpen(name, !open);
  };
  return (
    <section
      className={open ? 'card disclosure disclosure-open' : 'card disclosure'}
      aria-labelledby={`${id}-title`}
    >
      <h2 id={`${id}-title`}>
        <button
          type="button"
          className="disclosure-toggle"
          aria-expanded={open}
          aria-controls={`${id}-body`}
          onClick={toggle}
        >
          {title}
        </button>
      </h2>
      {!open && summary && <p className="hint">{summary}</p>}
      <div id={`${id}-body`} hidden={!open}>
        {children}
      </div>
    </section>
  );
}
