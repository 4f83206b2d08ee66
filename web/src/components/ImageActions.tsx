// What can be done with one image: save it (keep past the retention window), download it,
// reuse its parameters, edit it, delete it (after a confirmation). The confirmation's
// buttons go away under the focus, so the focus is put somewhere that stays.

import { useEffect, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
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

/**
 * Where the focus goes once the card holding `from` is gone: the next image's card (the
 * previous one's at the end), else the heading of the section the card was in.
 */
function focusAfterRemoval(from: HTMLElement): () => void {
  const card = from.closest<HTMLElement>('[data-image-id]');
  const section = from.closest('section');
  const cards = section ? [...section.querySelectorAll<HTMLElement>('[data-image-id]')] : [];
  const index = card ? cards.indexOf(card) : -1;
  const neighbour = (cards[index + 1] ?? cards[index - 1])?.dataset.imageId;
  // Run after the card has left the page: a neighbour's card may have been drawn anew.
  return () => {
    const next = neighbour ? section?.querySelector<HTMLElement>(`[data-image-id="${neighbour}"] a, [data-image-id="${neighbour}"] button`) : null;
    (next ?? section?.querySelector<HTMLElement>('h1, h2'))?.focus();
  };
}

export function ImageActions({ image, label, labelled = false, onSaved, onReuse, onEdit, onDeleted, onError }: Props) {
  const cls = (extra = '') => `${labelled ? 'button button-small' : 'icon-button'}${extra ? ` ${extra}` : ''}`;
  const text = (words: string) => (labelled ? <span aria-hidden="true">{words}</span> : null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const trashRef = useRef<HTMLButtonElement>(null);
  const keepRef = useRef<HTMLButtonElement>(null);
  // Set when the confirmation is left with Keep (or after a failure), for the trash button to take the focus back.
  const refocus = useRef(false);
  // Focused from an effect: autoFocus, in the same commit that removes the focused trash
  // button, left the focus on the body.
  useEffect(() => {
    if (confirming) keepRef.current?.focus();
    else if (refocus.current) {
      refocus.current = false;
      trashRef.current?.focus();
    }
  }, [confirming]);
  const keep = () => {
    refocus.current = true;
    setConfirming(false);
  };
  if (confirming) {
    return (
      <div className="image-actions confirm" role="group" aria-label={`Delete ${label}?`}>
        <span className="confirm-text">Delete for good?</span>
        <button
          type="button"
          className="button button-small button-danger"
          disabled={busy}
          onClick={async (event) => {
            const refocusAfter = focusAfterRemoval(event.currentTarget);
            setBusy(true);
            try {
              await api.deleteImage(image.id);
            } catch (error) {
              onError(messageOf(error));
              setBusy(false);
              keep();
              return;
            }
            // Drawn at once, so the focus can go to what is on the page after the removal.
            flushSync(() => onDeleted?.());
            refocusAfter();
          }}
        >
          Delete
        </button>
        <button type="button" ref={keepRef} className="button button-small button-quiet" onClick={keep}>
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
        <button type="button" ref={trashRef} className={cls('danger')} onClick={() => setConfirming(true)} aria-label="Delete this image" title="Delete">
          <Icon name="trash" />
          {text('Delete')}
        </button>
      ) : null}
    </div>
  );
}
