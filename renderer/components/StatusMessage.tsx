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
