// The studio's entry: mount the app inside an error boundary, so even a crash in the frame
// shows a message instead of a blank page.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { ErrorBoundary } from './components/ErrorBoundary';
import './styles.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ErrorBoundary area="the studio">
        <App />
      </ErrorBoundary>
    </StrictMode>,
  );
}
