import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { currentLanguage, i18nReady } from './i18n';
import { warmFormats } from './i18n/format';
import { App } from './app/App';
import './styles.css';

// After the first language's words are loaded (at once for English: see renderer/i18n); a catalog that
// could not load leaves English words, not a blank window.
const render = () => {
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
  // The first view waits for its rows (IndexedDB): its formatters are made meanwhile, not in its render.
  warmFormats(currentLanguage());
};
i18nReady.then(render, render);
