// Edit: start from an uploaded or picked image; transform all of it (img2img, with a
// strength) or repaint a masked area (inpaint, mask painted on a canvas), or run a
// one-click tool on it (upscale, remove the background) when the server has them.

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, messageOf } from '../api/client';
import type { ImageView, JobView, ToolOperation, UpscaleFactor } from '../api/types';
import { ImageTools } from '../components/ImageTools';
import { ErrorNotice } from '../components/ErrorNotice';
import { Icon } from '../components/Icon';
import { MaskPainter, type MaskPainterHandle } from '../components/MaskPainter';
import { ParametersForm } from '../components/ParametersForm';
import { ProgressView } from '../components/ProgressView';
import { PromptFields } from '../components/PromptFields';
import { ResultsGrid } from '../components/ResultsGrid';
import { SliderField } from '../components/SliderField';
import { SourcePicker } from '../components/SourcePicker';
import { isActive, useJobRunner } from '../hooks/use-job-runner';
import type { ModelsState } from '../hooks/use-models';
import { useRecentJobs } from '../hooks/use-recent-jobs';
import { useLatest } from '../hooks/use-stored-state';
import { editRequest, paramsFromJob, toolRequest, type EditParams } from '../lib/params';
import { isNarrow, isSubmitShortcut, SUBMIT_SHORTCUT } from '../lib/platform';

export type SourceImage = Pick<ImageView, 'id' | 'url' | 'width' | 'height'>;

interface Props {
  active: boolean;
  params: EditParams;
  setParams: (update: (p: EditParams) => EditParams) => void;
  models: ModelsState;
  source: SourceImage | null;
  setSource: (image: SourceImage | null) => void;
  brushSize: number;
  setBrushSize: (size: number) => void;
}

const OPERATIONS = ['img2img', 'inpaint', 'upscale', 'remove-background'] as const;
const DEFAULT_STRENGTH = { img2img: 0.75, inpaint: 1 } as const;

export function EditPage({ active, params, setParams, models, source, setSource, brushSize, setBrushSize }: Props) {
  const recent = useRecentJobs(OPERATIONS, active);
  const runner = useJobRunner((job) => recent.add(job));
  const painter = useRef<MaskPainterHandle>(null);
  const resultsRef = useRef<HTMLElement>(null);
  const [hasPaint, setHasPaint] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [preparing, setPreparing] = useState(false);
  const [choosing, setChoosing] = useState(false);
  // Which control started the last job, so a refusal (no credits, say) shows next to it.
  const [startedBy, setStartedBy] = useState<'form' | 'tool'>('form');
  const busy = preparing || isActive(runner.state.phase);
  const inpaint = params.mode === 'inpaint';

  const update = (patch: Partial<EditParams>) => setParams((p) => ({ ...p, ...patch }));

  const setMode = (mode: EditParams['mode']) =>
    setParams((p) => {
      if (p.mode === mode) return p;
      // Follow the mode's usual strength unless the person chose their own.
      const strength = p.strength === DEFAULT_STRENGTH[p.mode] ? DEFAULT_STRENGTH[mode] : p.strength;
      return { ...p, mode, strength };
    });

  const run = useLatest(async () => {
    if (busy) return;
    setFormError(null);
    setStartedBy('form');
    if (!source) return setFormError('Choose an image to edit first.');
    if (inpaint && !painter.current?.hasPaint()) return setFormError('Paint over the area to repaint first, or choose “Whole image”.');
    setPreparing(true);
    try {
      let mask: string | undefined;
      if (inpaint) mask = (await api.upload(await painter.current!.toBlob(), 'mask.png')).id;
      const job = await runner.start(editRequest(params, source.id, mask));
      if (job && isNarrow()) resultsRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    } catch (error) {
      setFormError(messageOf(error));
    } finally {
      setPreparing(false);
    }
  });

  useEffect(() => {
    if (!active) return;
    const onKey = (event: KeyboardEvent) => {
      if (isSubmitShortcut(event)) {
        event.preventDefault();
        void run();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active, run]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run();
  };

  const pick = (image: SourceImage) => {
    setSource(image);
    setChoosing(false);
    setFormError(null);
  };

  const reuse = (job: JobView, image: ImageView) => {
    setParams((p) => ({ ...paramsFromJob(job, image, p), mode: job.operation === 'inpaint' ? 'inpaint' : 'img2img' }));
    setNotice(null);
  };

  const runTool = async (operation: ToolOperation, scale: UpscaleFactor) => {
    if (!source || busy) return;
    setFormError(null);
    setStartedBy('tool');
    const job = await runner.start(toolRequest(operation, source.id, scale));
    if (job && isNarrow()) resultsRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  };

  const startError = runner.state.phase === 'idle' ? runner.state.error : null;
  const submitError = formError ?? (startedBy === 'form' ? startError : null);
  const runLabel = inpaint ? 'Repaint masked area' : 'Transform image';
  return (
    <div className="page-grid edit-grid">
      <section className="panel canvas-panel" aria-labelledby="edit-source-title">
        <div className="panel-head">
          <h2 className="section-title" id="edit-source-title">
            {source && !choosing ? 'Source image' : 'Choose an image'}
          </h2>
          {source && !choosing ? (
            <button type="button" className="button button-small button-quiet" onClick={() => setChoosing(true)}>
              <Icon name="image" size={16} /> Change image
            </button>
          ) : source ? (
            <button type="button" className="button button-small button-quiet" onClick={() => setChoosing(false)}>
              Back to the image
            </button>
          ) : null}
        </div>
        {source && !choosing ? (
          <>
            <div className="segmented mode-switch" role="radiogroup" aria-label="What to change">
              <button type="button" role="radio" aria-checked={!inpaint} className="segment" onClick={() => setMode('img2img')}>
                Whole image
              </button>
              <button type="button" role="radio" aria-checked={inpaint} className="segment" onClick={() => setMode('inpaint')}>
                Masked area (inpaint)
              </button>
            </div>
            <MaskPainter ref={painter} image={source} painting={inpaint} brushSize={brushSize} onBrushSize={setBrushSize} onPaintChange={setHasPaint} />
          </>
        ) : (
          <SourcePicker onPick={pick} refreshKey={active} />
        )}
      </section>

      <form className="panel form-panel" onSubmit={onSubmit} aria-label="Edit settings" id="edit-form">
        <PromptFields
          prompt={params.prompt}
          negative={params.negative_prompt}
          placeholder={inpaint ? 'what to paint in the masked area, e.g. a yellow triangle' : 'what the image should become, e.g. a green square'}
          onChange={(patch) => update(patch)}
        />
        <SliderField
          label="Strength"
          name="strength"
          value={params.strength}
          min={0}
          max={1}
          step={0.05}
          onChange={(strength) => update({ strength })}
          hint={inpaint ? 'How much the masked area may change (1: repaint it fully).' : 'How far to move from the source (0: unchanged, 1: a new image).'}
        />
        <div className="generate-bar">
          <button
            type="submit"
            className="button button-primary button-wide"
            disabled={busy || !source}
            aria-describedby={submitError ? 'edit-error' : undefined}
            aria-keyshortcuts="Control+Enter Meta+Enter"
            title={`${runLabel} (${SUBMIT_SHORTCUT})`}
          >
            <Icon name={inpaint ? 'brush' : 'sparkle'} />
            {preparing ? 'Uploading the mask…' : isActive(runner.state.phase) ? 'Working…' : runLabel}
            <kbd className="button-kbd" aria-hidden="true">
              {SUBMIT_SHORTCUT}
            </kbd>
          </button>
          {!source ? <p className="hint">Choose an image first.</p> : inpaint && !hasPaint ? <p className="hint">Paint the area to repaint on the image.</p> : null}
          <ErrorNotice id="edit-error" message={submitError} onDismiss={() => (formError ? setFormError(null) : runner.dismiss())} />
        </div>
        <details className="more-settings">
          <summary>More settings</summary>
          <ParametersForm value={params} onChange={update} models={models} showSize={false} />
        </details>
        <ImageTools
          tools={models.tools}
          ready={Boolean(source) && !busy}
          onRun={(operation, scale) => void runTool(operation, scale)}
          error={startedBy === 'tool' ? startError : null}
          onDismissError={runner.dismiss}
        />
      </form>

      <section className="results-panel edit-results" aria-labelledby="edit-results-title" ref={resultsRef}>
        <h2 className="section-title" id="edit-results-title">
          Edits
        </h2>
        <ProgressView state={runner.state} onCancel={runner.cancel} onDismiss={runner.dismiss} width={source?.width} height={source?.height} />
        <ErrorNotice message={notice ?? recent.error} onDismiss={() => (notice ? setNotice(null) : recent.setError(null))} />
        <ResultsGrid
          jobs={recent.jobs.filter((job) => job.status === 'done')}
          onReuse={reuse}
          onEdit={(image) => pick(image)}
          onImageChange={recent.updateImage}
          onImageDeleted={recent.removeImage}
          onError={setNotice}
          empty={recent.loaded && !busy ? <p className="empty-state compact hint">Edited images will appear here.</p> : null}
        />
      </section>
    </div>
  );
}
