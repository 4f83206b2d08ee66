// Choosing the image to edit: upload one (button or drop) or pick one of the caller's
// recent images.

import { useEffect, useId, useState, type DragEvent } from 'react';
import { api, imageUrl, messageOf } from '../api/client';
import type { ImageView } from '../api/types';
import { ErrorNotice } from './ErrorNotice';
import { Icon } from './Icon';

interface Props {
  onPick: (image: ImageView) => void;
  /** Reload the recent images when this changes (the page coming into view). */
  refreshKey: unknown;
}

export function SourcePicker({ onPick, refreshKey }: Props) {
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
          accept="image/png,image/jpeg,image/webp,image/gif,image/avif"
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
        <p className="hint">PNG, JPEG or WebP. Darkroom strips its metadata and deletes it after the retention window.</p>
      </div>
      <ErrorNotice message={error} onDismiss={() => setError(null)} />
      <h3 className="section-title">Or pick one of yours</h3>
      {recent === null ? (
        <p className="hint">Loading your images…</p>
      ) : recent.length === 0 ? (
        <p className="hint">No images yet: generate some on the Create page, or upload one.</p>
      ) : (
        <ul className="pick-grid">
          {recent.map((image) => (
            <li key={image.id}>
              <button type="button" className="pick" onClick={() => onPick(image)} aria-label={`Edit ${image.kind === 'upload' ? 'upload' : 'image'} ${image.id} (${image.width}×${image.height})`}>
                <img src={imageUrl(image, true)} alt="" className={Math.max(image.width, image.height) < 256 ? 'pixelated' : undefined} loading="lazy" />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
