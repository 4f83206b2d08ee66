// One image in the gallery: the picture, the prompt and settings that made it, when it will
// be deleted (unless saved), and its actions.

import type { ImageView, JobView } from '../api/types';
import { describeJob, isToolJob, operationLabel, untitled } from '../lib/params';
import { ago } from '../lib/time';
import { ImageActions } from './ImageActions';
import { ResultImage, Retention } from './ResultsGrid';

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
  const title =
    image.kind === 'upload' ? (isMask ? 'Inpainting mask' : 'Upload') : tool ? describeJob(job) : job?.prompt ? job.prompt : job ? (job.prompt === null ? 'Prompt no longer kept' : untitled(job)) : 'Image';
  const plain = image.kind === 'upload' || tool || Boolean(job?.prompt) || (job?.prompt === '' && untitled(job) !== 'No prompt');
  return (
    <li className="result-card gallery-card" data-image-id={image.id}>
      <ResultImage image={image} alt={job?.prompt ? `Image: ${job.prompt}` : `${title} ${image.id}`} transparent={job?.operation === 'remove-background'} />
      <div className="result-body">
        <div className="result-meta">
          <p className={plain ? 'result-prompt' : 'result-prompt muted'} title={job?.prompt ?? undefined}>
            {title}
          </p>
          <p className="result-params">
            {image.width}×{image.height}
            {image.seed !== null ? ` · seed ${image.seed}` : ''}
          </p>
          {job ? (
            <p className="result-params wrap">
              {isToolJob(job) ? describeJob(job) : `${operationLabel(job.operation)} · ${describeJob(job)}`}
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
          label={title}
          onSaved={onChange}
          onReuse={job && onReuse && !isToolJob(job) ? () => onReuse(job, image) : undefined}
          onEdit={isMask ? undefined : () => onEdit(image)}
          onDeleted={() => onDeleted(image)}
          onError={onError}
        />
      </div>
    </li>
  );
}
