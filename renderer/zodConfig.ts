import { z } from 'zod';

/*
 * zod would probe `new Function` once, which the page's Content-Security-Policy (rightly) refuses. Imported
 * first by the modules that load zod into the page (the store's parts, sync), which the app loads after its
 * first view: its first screen loads no zod at all. (Node has no such policy: tests keep zod's fast path.)
 */
if (typeof document !== 'undefined') z.config({ jitless: true });
