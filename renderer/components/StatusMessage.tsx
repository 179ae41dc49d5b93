import { useBusyNote } from '../app/hooks';
import type { StatusText } from '../app/useCommand';

/**
 * A command's status line. It is always in the page, empty until there is something to say, so that
 * screen readers announce what appears in it (a live region added with its text is often not read).
 */
export function StatusMessage({
  message,
  className,
  label,
}: {
  message: StatusText | null;
  className?: string;
  /** Its name, where a screen has more than one status (and tests find it by name). */
  label?: string;
}) {
  const kind = message?.error ? 'form-error' : 'saved';
  return (
    <p role="status" className={className ? `${className} ${kind}` : kind} aria-label={label}>
      {message?.text}
    </p>
  );
}

/**
 * A command's status line, and while it runs what it waits for (`useBusyNote`): "Saving once the history is
 * open (40%)…" while the history opens, "Saving…" when it takes a while. The note is beside the status, not
 * in it, so a screen reader is not read every percent; what the last run said is cleared meanwhile (it is
 * about an earlier save).
 */
export function CommandStatus({
  command,
  early,
  duringRebuild,
  saves,
  className,
  label,
}: {
  command: { busy: boolean; message: StatusText | null };
  /** A save the store may take before the history is open (see useBusyNote). */
  early?: boolean;
  /** A save the store may take while a rebuild works out the figures (see useBusyNote). */
  duringRebuild?: boolean;
  /** False for a command that makes something (an invite, a sync file) rather than saving a change. */
  saves?: boolean;
  className?: string;
  label?: string;
}) {
  const note = useBusyNote(command.busy, { early, duringRebuild, saves });
  return (
    <>
      {note && <span className="hint busy-note">{note}</span>}
      <StatusMessage message={note ? null : command.message} className={className} label={label} />
    </>
  );
}
