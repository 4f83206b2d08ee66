// The caller's recent jobs of some operations, reloaded whenever a page comes into view, so
// images deleted elsewhere (the gallery, "delete everything") drop out of its results.

import { useCallback, useEffect, useState } from 'react';
import { api, messageOf } from '../api/client';
import type { ImageView, JobView, Operation } from '../api/types';

export function useRecentJobs(operations: readonly Operation[], active: boolean) {
  const [jobs, setJobs] = useState<JobView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const key = operations.join(',');

  const reload = useCallback(async () => {
    try {
      const all = await api.jobs();
      setJobs(all.filter((job) => operations.includes(job.operation)));
      setError(null);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setLoaded(true);
    }
    // `key` stands for `operations`, which callers pass as a fresh array.
  }, [key]);

  useEffect(() => {
    if (active) void reload();
  }, [active, reload]);

  const add = useCallback((job: JobView) => setJobs((list) => [job, ...list.filter((j) => j.id !== job.id)]), []);
  const updateImage = useCallback(
    (image: ImageView) => setJobs((list) => list.map((job) => ({ ...job, images: job.images.map((i) => (i.id === image.id ? { ...i, ...image } : i)) }))),
    [],
  );
  const removeImage = useCallback(
    (image: ImageView) => setJobs((list) => list.map((job) => ({ ...job, images: job.images.filter((i) => i.id !== image.id) }))),
    [],
  );

  return { jobs, error, loaded, reload, add, updateImage, removeImage, setError };
}
