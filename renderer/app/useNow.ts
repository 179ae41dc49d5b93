import { useEffect, useState } from 'react';

/**
 * The time, refreshed every `everyMs`: for figures that follow the clock (what expires within 14 days),
 * without changing on every render (a `Date.now()` in render made the stock rows derive again each time).
 */
export function useNow(everyMs = 60_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
