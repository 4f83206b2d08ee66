// Finished jobs' images, newest first: the latest job large, with all its settings, then
// earlier ones in a grid; each with its actions (save, download, reuse parameters, edit,
// delete) and the time left before it is deleted.

import type { ReactNode } from 'react';
import type { ImageView, JobView } from '../api/types';
import { useNow } from '../hooks/use-now';
import { describeJob, isToolJob, jobTitle, type JobTitle } from '../lib/params';
import { timeLeft } from '../lib/time';
import { Icon } from './Icon';
import { ImageActions } from './ImageActions';

interface Handlers {
  onReuse: (job: JobView, image: ImageView) => void;
  onEdit: (image: ImageView, job: JobView) => void;
  onImageChange: (image: ImageView) => void;
  onImageDeleted: (image: ImageView) => void;
  onError: (message: string) => void;
}

type Props = Handlers & { jobs: JobView[]; empty?: ReactNode };

/** `transparent`: the image has see-through parts (a removed background), drawn on a checkerboard. */
export function ResultImage({ image, alt, transparent = false }: { image: Pick<ImageView, 'url' | 'width' | 'height'>; alt: string; transparent?: boolean }) {
  const small = Math.max(image.width, image.height) < 256;
  return (
    <a className={transparent ? 'result-image checkerboard' : 'result-image'} href={image.url} target="_blank" rel="noopener" title="Open full size">
      <img src={image.url} alt={alt} width={image.width} height={image.height} className={small ? 'pixelated' : undefined} decoding="async" />
    </a>
  );
}

/** A card's or row's first line: the job's title (see jobTitle), the whole prompt on hover where it is cut short. */
export function ResultTitle({ title, full }: { title: JobTitle; full?: string | null | undefined }) {
  return (
    <p className="result-prompt" title={full ?? undefined}>
      {title.muted ? <em className="muted">{title.text}</em> : title.text}
    </p>
  );
}

/** "Deletes in 23 h" or "Saved", with its icon. */
export function Retention({ image, now }: { image: Pick<ImageView, 'saved' | 'expires_at'>; now: number }) {
  const left = timeLeft(image.expires_at, now);
  return (
    <span className={image.saved ? 'retention saved' : 'retention'}>
      <Icon name={image.saved ? 'check' : 'clock'} size={14} />
      <span>{image.saved ? 'Saved' : left ? `Deletes in ${left}` : 'Kept'}</span>
    </span>
  );
}

function Tile({ job, image, now, featured, handlers }: { job: JobView; image: ImageView; now: number; featured: boolean; handlers: Handlers }) {
  const tool = isToolJob(job);
  const title = jobTitle(job);
  const label = tool ? title.text : `${title.text}, seed ${image.seed ?? '?'}`;
  return (
    <li className={featured ? 'result-card featured' : 'result-card'} data-image-id={image.id}>
      <ResultImage image={image} alt={title.muted ? 'Result' : `Result: ${title.text}`} transparent={job.operation === 'remove-background'} />
      <div className="result-body">
        <div className="result-meta">
          <ResultTitle title={title} full={job.prompt} />
          {featured && job.negative_prompt ? <p className="result-params wrap">Avoid: {job.negative_prompt}</p> : null}
          <p className="result-params">
            {image.seed !== null ? `seed ${image.seed} · ` : ''}
            {image.width}×{image.height}
          </p>
          {tool ? null : <p className="result-params wrap">{describeJob(job)}</p>}
          <Retention image={image} now={now} />
        </div>
        <ImageActions
          image={image}
          label={label}
          labelled={featured}
          onSaved={handlers.onImageChange}
          onReuse={tool ? undefined : () => handlers.onReuse(job, image)}
          onEdit={() => handlers.onEdit(image, job)}
          onDeleted={() => handlers.onImageDeleted(image)}
          onError={handlers.onError}
        />
      </div>
    </li>
  );
}

export function ResultsGrid({ jobs, empty, ...handlers }: Props) {
  const now = useNow();
  const [latest, ...earlier] = jobs.filter((job) => job.images.length > 0);
  if (!latest) return <>{empty ?? null}</>;
  const single = latest.images.length === 1;
  return (
    <div className="results">
      <ul className={single ? 'results-grid results-latest single' : 'results-grid results-latest'} aria-label="Latest result">
        {latest.images.map((image) => (
          <Tile key={image.id} job={latest} image={image} now={now} featured={single} handlers={handlers} />
        ))}
      </ul>
      {earlier.length ? (
        <>
          <h3 className="section-title">Earlier</h3>
          <ul className="results-grid" aria-label="Earlier results">
            {earlier.flatMap((job) => job.images.map((image) => <Tile key={image.id} job={job} image={image} now={now} featured={false} handlers={handlers} />))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
