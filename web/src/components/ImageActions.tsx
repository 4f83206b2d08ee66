// What can be done with one image: save it (keep past the retention window), download it,
// reuse its parameters, edit it, delete it (after a confirmation).

import { useState } from 'react';
import { api, messageOf } from '../api/client';
import type { ImageView } from '../api/types';
import { Icon } from './Icon';

export interface ImageActionHandlers {
  onSaved?: (image: ImageView) => void;
  onReuse?: () => void;
  onEdit?: () => void;
  onDeleted?: () => void;
  onError: (message: string) => void;
}

type Props = ImageActionHandlers & {
  image: Pick<ImageView, 'id' | 'url' | 'saved'>;
  label: string;
  /** Words next to the icons (the featured result), not icons alone. */
  labelled?: boolean;
};

export function ImageActions({ image, label, labelled = false, onSaved, onReuse, onEdit, onDeleted, onError }: Props) {
  const cls = (extra = '') => `${labelled ? 'button button-small' : 'icon-button'}${extra ? ` ${extra}` : ''}`;
  const text = (words: string) => (labelled ? <span aria-hidden="true">{words}</span> : null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  if (confirming) {
    return (
      <div className="image-actions confirm" role="group" aria-label={`Delete ${label}?`}>
        <span className="confirm-text">Delete for good?</span>
        <button
          type="button"
          className="button button-small button-danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await api.deleteImage(image.id);
              onDeleted?.();
            } catch (error) {
              onError(messageOf(error));
              setBusy(false);
              setConfirming(false);
            }
          }}
        >
          Delete
        </button>
        <button type="button" className="button button-small button-quiet" autoFocus onClick={() => setConfirming(false)}>
          Keep
        </button>
      </div>
    );
  }
  return (
    <div className="image-actions" role="group" aria-label={`Actions for ${label}`}>
      {onSaved ? (
        <button
          type="button"
          className={cls(image.saved ? 'is-on' : '')}
          aria-label={image.saved ? 'Saved: kept until you delete it' : 'Save: keep it past automatic deletion'}
          title={image.saved ? 'Saved' : 'Save (keep it)'}
          aria-pressed={image.saved}
          disabled={busy || image.saved}
          onClick={async () => {
            setBusy(true);
            try {
              onSaved(await api.saveImage(image.id));
            } catch (error) {
              onError(messageOf(error));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Icon name={image.saved ? 'check' : 'star'} />
          {text(image.saved ? 'Saved' : 'Save')}
        </button>
      ) : null}
      <a className={cls()} href={image.url} download={`darkroom-${image.id}.png`} aria-label="Download the PNG" title="Download">
        <Icon name="download" />
        {text('Download')}
      </a>
      {onReuse ? (
        <button type="button" className={cls()} onClick={onReuse} aria-label="Reuse these parameters" title="Reuse parameters">
          <Icon name="reuse" />
          {text('Reuse')}
        </button>
      ) : null}
      {onEdit ? (
        <button type="button" className={cls()} onClick={onEdit} aria-label="Edit this image" title="Edit: transform, restyle, extend, repaint">
          <Icon name="brush" />
          {text('Edit')}
        </button>
      ) : null}
      {onDeleted ? (
        <button type="button" className={cls('danger')} onClick={() => setConfirming(true)} aria-label="Delete this image" title="Delete">
          <Icon name="trash" />
          {text('Delete')}
        </button>
      ) : null}
    </div>
  );
}
