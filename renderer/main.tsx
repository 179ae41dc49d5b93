import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { z } from 'zod';
import './i18n';
import { App } from './app/App';
import './styles.css';

// zod would probe `new Function` once, which the Content-Security-Policy (rightly) refuses.
z.config({ jitless: true });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
