import { Component, Suspense, type ErrorInfo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { forgetFailedLoads } from '../app/lazyScreen';

interface ScreenBoundaryProps {
  /** The screen's name, as the navigation shows it. */
  screen: string;
  children: ReactNode;
}

interface ScreenBoundaryState {
  error: Error | null;
}

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
    // A screen whose code could not load (its server away for a moment) loads again when next opened.
    forgetFailedLoads();
  }

  override render(): ReactNode {
    const { error } = this.state;
    // A screen whose module is still loading (lazyScreen.ts) shows nothing for those few milliseconds; one
    // that cannot load (the app's files changed under it) shows the problem and a reload.
    if (!error) return <Suspense fallback={null}>{this.props.children}</Suspense>;
    return <ScreenProblem screen={this.props.screen} error={error} />;
  }
}

function ScreenProblem({ screen, error }: { screen: string; error: Error }) {
  const { t } = useTranslation();
  return (
    <section className="card screen-problem" role="alert" aria-labelledby="screen-problem-title">
      <h1 id="screen-problem-title">{t('screenProblem.title')}</h1>
      <p>{t('screenProblem.advice')}</p>
      <div className="actions">
        <button type="button" className="primary" onClick={() => location.reload()}>
          {t('screenProblem.reload')}
        </button>
      </div>
      <details>
        <summary>{t('screenProblem.details')}</summary>
        <p className="muted">
          {screen}: {error.message || error.name}
        </p>
      </details>
    </section>
  );
}
