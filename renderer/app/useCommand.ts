import { useCallback, useMemo, useRef, useState } from 'react';
import { toFormErrors } from './errors';

/** What a command says when it is done: a line of text, and whether it is a failure. */
export interface StatusText {
  text: string;
  error: boolean;
}

/** What a failed save says by default: the core's messages (or the reason it was not saved), in one line. */
export const errorSummary = (error: unknown): string => toFormErrors(error).summary.join(' ');

export interface RunOptions<T> {
  /** What to say once the action has succeeded (nothing when it returns null); a result may be a failure. */
  done?: (result: T) => string | StatusText | null;
  /** What to say when it failed; the form's error summary by default. */
  failed?: (error: unknown) => string;
}

/**
 * A form's or a button's command, with the handling every form repeated: `busy` while it runs, and one
 * status line for what happened (shown by StatusMessage). `run` resolves to whether the action succeeded.
 *
 * One at a time: a `run` while another is still pending does nothing and resolves to false. `busy` disables
 * the buttons once the screen has redrawn, but a second press can come before that (a double press, or two
 * Ctrl+Enter), when a form's `command.busy` is still false; without this it would save twice.
 */
export function useCommand() {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<StatusText | null>(null);
  const running = useRef(false);
  const run = useCallback(
    async <T>(action: () => Promise<T>, options: RunOptions<T> = {}): Promise<boolean> => {
      if (running.current) return false;
      running.current = true;
      setBusy(true);
      try {
        const result = await action();
        const said = options.done?.(result) ?? null;
        if (said !== null) setMessage(typeof said === 'string' ? { text: said, error: false } : said);
        return true;
      } catch (e) {
        setMessage({ text: (options.failed ?? errorSummary)(e), error: true });
        return false;
      } finally {
        running.current = false;
        setBusy(false);
      }
    },
    [],
  );
  return useMemo(
    () => ({
      busy,
      message,
      run,
      /** Says something without running anything (a step along the way, or a result found elsewhere). */
      say: (text: string, error = false) => setMessage({ text, error }),
      clear: () => setMessage(null),
    }),
    [busy, message, run],
  );
}
