// Gallery and history: the caller's images with the parameters that made them and the time
// left before automatic deletion; save, download, reuse, edit, delete; and the job history.

import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, messageOf } from '../api/client';
import type { ImageView, JobView } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { GalleryCard } from '../components/GalleryCard';
import { Icon } from '../components/Icon';
import { JobHistory } from '../components/JobHistory';
import { useNow } from '../hooks/use-now';
import { useStoredState } from '../hooks/use-stored-state';

type View = 'all' | 'saved' | 'uploads' | 'history';
const VIEWS: { id: View; label: string }[] = [
  { id: 'all', label: 'Images' },
  { id: 'saved', label: 'Saved' },
  { id: 'uploads', label: 'Uploads' },
  { id: 'history', label: 'History' },
];

interface Props {
  onReuse: (job: JobView, image: ImageView | undefined) => void;
  onEdit: (image: ImageView) => void;
}

/** Jobs the list did not include (older than the last 50), fetched a few at a time. */
async function fetchJobs(ids: string[]): Promise<JobView[]> {
  const out: JobView[] = [];
  for (let i = 0; i < ids.length; i += 4) {
    const batch = await Promise.all(ids.slice(i, i + 4).map((id) => api.job(id).catch(() => null)));
    for (const job of batch) if (job) out.push(job);
  }
  return out;
}

export function GalleryPage({ onReuse, onEdit }: Props) {
  const now = useNow();
  const [view, setView] = useStoredState<View>('gallery.view', 'all', (v) => (VIEWS.some((x) => x.id === v) ? (v as View) : 'all'));
  const [images, setImages] = useState<ImageView[] | null>(null);
  const [jobs, setJobs] = useState<Map<string, JobView>>(new Map());
  const [history, setHistory] = useState<JobView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const [list, recent] = await Promise.all([api.images({ limit: 200 }), api.jobs()]);
      const byId = new Map(recent.map((job) => [job.id, job]));
      const missing = [...new Set(list.map((i) => i.job_id).filter((id): id is string => id !== null && !byId.has(id)))];
      for (const job of await fetchJobs(missing)) byId.set(job.id, job);
      setImages(list);
      setJobs(byId);
      setHistory(recent);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const shown = useMemo(() => {
    if (!images) return [];
    if (view === 'saved') return images.filter((i) => i.saved);
    if (view === 'uploads') return images.filter((i) => i.kind === 'upload');
    return images.filter((i) => i.kind === 'output');
  }, [images, view]);

  const counts = useMemo(
    () => ({
      all: images?.filter((i) => i.kind === 'output').length ?? 0,
      saved: images?.filter((i) => i.saved).length ?? 0,
      uploads: images?.filter((i) => i.kind === 'upload').length ?? 0,
      history: history.length,
    }),
    [images, history],
  );

  const replace = (image: ImageView) => setImages((list) => list?.map((i) => (i.id === image.id ? image : i)) ?? null);
  const remove = (image: ImageView) => setImages((list) => list?.filter((i) => i.id !== image.id) ?? null);
  const unsaved = shown.filter((i) => !i.saved && i.expires_at).length;
  const masks = useMemo(() => new Set([...jobs.values()].map((job) => job.mask).filter((id): id is string => Boolean(id))), [jobs]);

  return (
    <div className="gallery">
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Show">
          {VIEWS.map((v) => (
            <button key={v.id} type="button" className="segment" aria-pressed={view === v.id} onClick={() => setView(v.id)}>
              {v.label}
              {images ? <span className="count">{counts[v.id]}</span> : null}
            </button>
          ))}
        </div>
        <button type="button" className="button button-small button-quiet refresh" onClick={() => void load()} disabled={loading} aria-label="Refresh" title="Refresh">
          <Icon name="reuse" size={16} />
          <span className="hide-narrow">{loading ? 'Refreshing…' : 'Refresh'}</span>
        </button>
      </div>
      {view !== 'history' && unsaved > 0 ? (
        <p className="hint gallery-note">
          <Icon name="clock" size={14} /> Unsaved images are deleted automatically; save the ones you want to keep.
        </p>
      ) : null}
      <ErrorNotice message={error} onDismiss={() => setError(null)} />
      {images === null && !error ? <p className="hint">Loading your images…</p> : null}
      {view === 'history' ? (
        <JobHistory jobs={history} now={now} onReuse={(job) => onReuse(job, job.images[0])} />
      ) : images && shown.length === 0 ? (
        <div className="empty-state">
          <p>{view === 'saved' ? 'Nothing saved yet.' : view === 'uploads' ? 'No uploads.' : 'No images yet.'}</p>
          <p className="hint">
            {view === 'saved' ? 'Save an image (★) to keep it past automatic deletion.' : view === 'uploads' ? 'Images you upload on the Edit page appear here.' : 'Images you make on the Create and Edit pages appear here.'}
          </p>
        </div>
      ) : (
        <ul className="gallery-grid" aria-label="Your images">
          {shown.map((image) => (
            <GalleryCard
              key={image.id}
              image={image}
              job={image.job_id ? jobs.get(image.job_id) : undefined}
              isMask={masks.has(image.id)}
              now={now}
              onChange={replace}
              onDeleted={remove}
              onReuse={onReuse}
              onEdit={onEdit}
              onError={setError}
            />
          ))}
        </ul>
      )}
    </div>
  );
}
