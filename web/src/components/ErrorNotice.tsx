// An error shown where it happened, in words, with an optional way out.

import type { ReactNode } from 'react';
import { Icon } from './Icon';

export function ErrorNotice({ message, onDismiss, children, id }: { message: string | null; onDismiss?: () => void; children?: ReactNode; id?: string }) {
  if (!message) return null;
  return (
    <div className="notice notice-error" role="alert" id={id}>
      <Icon name="alert" />
      <div className="notice-body">
        <p>{message}</p>
        {children}
      </div>
      {onDismiss ? (
        <button type="button" className="icon-button notice-close" onClick={onDismiss} aria-label="Dismiss this message" title="Dismiss">
          <Icon name="clear" size={16} />
        </button>
      ) : null}
    </div>
  );
}
