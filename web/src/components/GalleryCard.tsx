// One image in the gallery: the picture, the prompt and settings that made it, when it will
// be deleted (unless saved), and its actions.

import type { ImageView, JobView } from '../api/types';
import { describeJob, isToolJob, jobTitle, operationLabel, type JobTitle } from '../lib/params';
import { ago } from '../lib/time';
import { ImageActions } from './ImageActions';
import { ResultImage, ResultTitle, Retention } from './ResultsGrid';

interface Props {
  image: ImageView;
  job: JobView | undefined;
  /** An upload that was sent as an inpainting mask. */
  isMask: boolean;
  now: number;
  onChange: (image: ImageView) => void;
  onDeleted: (image: ImageView) => void;
  onReuse: ((job: JobView, image: ImageView) => void) | undefined;
  onEdit: (image: ImageView) => void;
  onError: (message: string) => void;
}

export function GalleryCard({ image, job, isMask, now, onChange, onDeleted, onReuse, onEdit, onError }: Props) {
  const tool = job !== undefined && isToolJob(job);
  // An output whose job is gone (past the history) is only "Image".
  const title: JobTitle = image.kind === 'upload' ? { text: isMask ? 'Inpainting mask' : 'Upload', muted: false } : job ? jobTitle(job) : { text: 'Image', muted: true };
  return (
    <li className="result-card gallery-card" data-image-id={image.id}>
      <ResultImage image={image} alt={job?.prompt ? `Image: ${job.prompt}` : `${title.text} ${image.id}`} transparent={job?.operation === 'remove-background'} />
      <div className="result-body">
        <div className="result-meta">
          <ResultTitle title={title} full={job?.prompt} />
          <p className="result-params">
            {image.width}×{image.height}
            {image.seed !== null ? ` · seed ${image.seed}` : ''}
          </p>
          {/* A tool's title already says what it did. */}
          {job && !tool ? (
            <p className="result-params wrap">
              {operationLabel(job.operation)} · {describeJob(job)}
            </p>
          ) : null}
          {job?.negative_prompt ? (
            <p className="result-params" title={job.negative_prompt}>
              Avoid: {job.negative_prompt}
            </p>
          ) : null}
          <p className="result-footer">
            <Retention image={image} now={now} />
            <span className="muted">{ago(image.created_at, now)}</span>
          </p>
        </div>
        <ImageActions
          image={image}
          label={title.text}
          onSaved={onChange}
          onReuse={job && onReuse && !tool ? () => onReuse(job, image) : undefined}
          onEdit={isMask ? undefined : () => onEdit(image)}
          onDeleted={() => onDeleted(image)}
          onError={onError}
        />
      </div>
    </li>
  );
}
