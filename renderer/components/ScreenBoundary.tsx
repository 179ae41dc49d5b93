import { Component, type ErrorInfo, type ReactNode } from 'react';

interface ScreenBoundaryProps {
  /** The screen's name, as the navigation shows it. */
  screen: string;
  children: ReactNode;
}

interface ScreenBoundaryState {
  error: Error | null;
}

export const SCREEN_PROBLEM_TITLE = 'This screen hit a problem';
export const SCREEN_PROBLEM_ADVICE = 'Your saved entries are safe. Go to another screen, or reload Larder.';

/**
 * One per screen (Shell gives each screen its own, keyed by the screen): a screen that throws while
 * rendering shows what to do instead of blanking the whole window, and the navigation keeps working.
 * Nothing is lost: entries are saved before "Saved" shows, so whatever threw was only drawing them.
 */
export class ScreenBoundary extends Component<ScreenBoundaryProps, ScreenBoundaryState> {
  override state: ScreenBoundaryState = { error: null };

  static getDerivedStateFromError(error: unknown): ScreenBoundaryState {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(`The ${this.props.screen} screen hit a problem`, error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <section className="card screen-problem" role="alert" aria-labelledby="screen-problem-title">
        <h1 id="screen-problem-title">{SCREEN_PROBLEM_TITLE}</h1>
        <p>{SCREEN_PROBLEM_ADVICE}</p>
        <div className="actions">
          <button type="button" className="primary" onClick={() => location.reload()}>
            Reload Larder
          </button>
        </div>
        <details>
          <summary>Details for whoever looks after this device</summary>
          <p className="muted">
            {this.props.screen}: {error.message || error.name}
          </p>
        </details>
      </section>
    );
  }
}
