// Choosing an image to edit (or to add to a blend): upload one (button or drop) or pick one
// of the caller's recent images.

import { useEffect, useId, useState, type DragEvent } from 'react';
import { api, imageUrl, messageOf } from '../api/client';
import type { ImageView } from '../api/types';
import { UPLOAD_FORMAT_NAMES, UPLOAD_FORMATS } from '../../../src/images/formats';
import { ErrorNotice } from './ErrorNotice';
import { Icon } from './Icon';

interface Props {
  onPick: (image: ImageView) => void;
  /** Reload the recent images when this changes (the page coming into view). */
  refreshKey: unknown;
  /** What picking does, for the buttons' names: "Edit" (default) or "Add". */
  verb?: string;
  /** Images already chosen: shown as such, and not offered again. */
  chosen?: ReadonlySet<string>;
}

/** The server's own list of upload formats, so the picker offers exactly what it takes. */
const ACCEPT = Object.values(UPLOAD_FORMATS)
  .map((format) => format.mime)
  .join(',');

export function SourcePicker({ onPick, refreshKey, verb = 'Edit', chosen }: Props) {
  const id = useId();
  const [recent, setRecent] = useState<ImageView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [uploading, setUploading] = useState(false);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    let live = true;
    Promise.all([api.images({ limit: 40 }), api.jobs()]).then(
      ([images, jobs]) => {
        if (!live) return;
        // Masks sent with earlier inpainting jobs are uploads too, but not pictures to edit.
        const masks = new Set(jobs.map((job) => job.mask));
        setRecent(images.filter((image) => !masks.has(image.id)).slice(0, 24));
      },
      (e: unknown) => live && setError(messageOf(e)),
    );
    return () => {
      live = false;
    };
  }, [refreshKey]);

  const upload = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    setUploading(true);
    try {
      onPick(await api.upload(file, file.name));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setUploading(false);
    }
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void upload(event.dataTransfer.files[0]);
  };

  return (
    <div className="source-picker">
      <div
        className={dragging ? 'dropzone dragging' : 'dropzone'}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <Icon name="upload" size={28} />
        <p>Drop an image here, or</p>
        <input
          id={`${id}-file`}
          type="file"
          accept={ACCEPT}
          className="visually-hidden"
          disabled={uploading}
          onChange={(event) => {
            void upload(event.target.files?.[0]);
            event.target.value = '';
          }}
        />
        <label htmlFor={`${id}-file`} className="button button-primary file-button">
          {uploading ? 'Uploading…' : 'Choose an image…'}
        </label>
        <p className="hint">{UPLOAD_FORMAT_NAMES}. Darkroom strips its metadata and deletes it after the retention window.</p>
      </div>
      <ErrorNotice message={error} onDismiss={() => setError(null)} />
      <h3 className="section-title">Or pick one of yours</h3>
      {recent === null ? (
        <p className="hint">Loading your images…</p>
      ) : recent.length === 0 ? (
        <p className="hint">No images yet: generate some on the Create page, or upload one.</p>
      ) : (
        <ul className="pick-grid">
          {recent.map((image) => {
            const taken = chosen?.has(image.id) ?? false;
            return (
              <li key={image.id}>
                <button
                  type="button"
                  className={taken ? 'pick chosen' : 'pick'}
                  disabled={taken}
                  onClick={() => onPick(image)}
                  aria-label={`${verb} ${image.kind === 'upload' ? 'upload' : 'image'} ${image.id} (${image.width}×${image.height})${taken ? ', already chosen' : ''}`}
                >
                  <img src={imageUrl(image, true)} alt="" className={Math.max(image.width, image.height) < 256 ? 'pixelated' : undefined} loading="lazy" />
                  {taken ? (
                    <span className="pick-badge" aria-hidden="true">
                      <Icon name="check" size={14} />
                    </span>
                  ) : null}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
