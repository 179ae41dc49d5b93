import { useHub } from '../data/hubs';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from './StoreContext';
import { useFrontDesk } from './frontDesk';
import { MovementScreen } from '../screens/MovementScreen';
import { StockScreen } from '../screens/StockScreen';
import { ScreenBoundary } from '../components/ScreenBoundary';
import { DataNotice } from '../components/DataNotice';
import '../frontdesk.css';
import { useSelf } from '../data/self';

/** The front desk's three tasks, by the same ids (and URL hashes) and names as in the full app. */
const TASKS = {
  donation: 'nav.donation',
  pickup: 'nav.pickup',
  stock: 'nav.stock',
} as const;
type Task = keyof typeof TASKS;

function taskFromHash(): Task {
  const id = location.hash.replace(/^#\/?/, '');
  return id in TASKS ? (id as Task) : 'donation';
}

/**
 * Front-desk mode (a setting of this device): Record donation, Record pickup and Stock only, one task per
 * screen, the same forms and stock view as the full app in a large-target variant (`.front-desk` in
 * frontdesk.css: every control at least 44 px, WCAG 2.5.5). No way into settings but the labelled way out,
 * which asks first, so a tap by mistake at a busy desk does not open the full app.
 */
export function FrontDesk() {
  const store = useStore();
  const { t } = useTranslation();
  const self = useSelf()!;
  const [task, setTask] = useState<Task>(taskFromHash);
  useEffect(() => {
    const onHash = () => setTask(taskFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.title = `${t(TASKS[task])} · ${t('frontDesk.title')} · Larder`;
  }, [task, t]);
  const hubId = self.hubId;
  const hub = useHub(hubId);

  return (
    <div className="front-desk">
      <header className="front-desk-bar">
        <p className="front-desk-where">
          <strong>{t('frontDesk.title')}</strong>
          <span>{hub?.name ?? store.ownHubName() ?? '…'}</span>
        </p>
        <nav aria-label={t('frontDesk.tasks')}>
          <ul className="front-desk-tasks">
            {(Object.keys(TASKS) as Task[]).map((id) => (
              <li key={id}>
                <a
                  href={`#/${id}`}
                  aria-current={task === id ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    location.hash = `#/${id}`;
                  }}
                >
                  {t(TASKS[id])}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <LeaveFrontDesk />
      </header>
      <main className="content front-desk-main">
        <DataNotice />
        <ScreenBoundary key={task} screen={t(TASKS[task])}>
          {task === 'donation' && <MovementScreen kind="donation" key="donation" />}
          {task === 'pickup' && <MovementScreen kind="pickup" key="pickup" />}
          {task === 'stock' && <StockScreen frontDesk />}
        </ScreenBoundary>
      </main>
    </div>
  );
}

/** The way back to the full app: a labelled button, then a question whose safe answer has the focus. */
function LeaveFrontDesk() {
  const { t } = useTranslation();
  const [, setFrontDesk] = useFrontDesk();
  const [asking, setAsking] = useState(false);
  const stayRef = useRef<HTMLButtonElement>(null);
  const leaveRef = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  useEffect(() => {
    // The question takes the focus; answering "stay" gives it back to the button that asked.
    if (asking) stayRef.current?.focus();
    else if (asked.current) leaveRef.current?.focus();
    asked.current = asking;
  }, [asking]);
  const stay = () => setAsking(false);
  if (!asking)
    return (
      <button
        type="button"
        className="front-desk-leave"
        ref={leaveRef}
        aria-haspopup="dialog"
        onClick={() => setAsking(true)}
      >
        {t('frontDesk.leave')}
      </button>
    );
  return (
    <div
      className="front-desk-confirm"
      role="alertdialog"
      aria-modal="false"
      aria-labelledby="front-desk-leave-question"
      onKeyDown={(e) => {
        if (e.key === 'Escape') stay();
      }}
    >
      <p id="front-desk-leave-question">{t('frontDesk.leaveQuestion')}</p>
      <div className="front-desk-confirm-actions">
        <button type="button" className="primary" ref={stayRef} onClick={stay}>
          {t('frontDesk.stay')}
        </button>
        <button type="button" onClick={() => setFrontDesk(false)}>
          {t('frontDesk.openFullApp')}
        </button>
      </div>
    </div>
  );
}
