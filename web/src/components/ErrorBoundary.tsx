// Catches a render error so a part of the studio that breaks shows what happened and a way
// to recover, instead of a blank page.

import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  children: ReactNode;
  /** Where this boundary sits, for the message ("the gallery"). */
  area?: string;
  /** Changing this value (the route, say) clears the error. */
  resetKey?: unknown;
}

interface State {
  error: Error | null;
  resetKey: unknown;
}

export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey !== state.resetKey ? { error: null, resetKey: props.resetKey } : null;
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    // Kept in the browser's console for whoever debugs it; nothing is sent anywhere.
    console.error('Darkroom studio error', error, info.componentStack);
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="notice notice-error crash" role="alert">
        <div className="notice-body">
          <h2>Something broke in {this.props.area ?? 'the studio'}.</h2>
          <p>{error.message || 'An unexpected error happened while drawing this page.'}</p>
          <div className="button-row">
            <button type="button" className="button" onClick={() => this.setState({ error: null })}>
              Try again
            </button>
            <button type="button" className="button button-quiet" onClick={() => window.location.reload()}>
              Reload the studio
            </button>
          </div>
        </div>
      </div>
    );
  }
}
