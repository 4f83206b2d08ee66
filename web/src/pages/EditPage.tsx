// Edit: start from an uploaded or picked image and transform all of it (img2img, with a
// strength), repaint a masked area (inpaint, mask painted on a canvas), redraw it in a style
// preset, or extend its canvas (outpaint); or blend two to four images into one. One-click
// tools (upscale, remove the background) run on the source when the server has them.

import { useId, useRef, useState, type FormEvent } from 'react';
import { api, messageOf } from '../api/client';
import type { GenerationRequest, ImageView, JobView, ToolOperation, UpscaleFactor } from '../api/types';
import { BlendPicker } from '../components/BlendPicker';
import { ErrorNotice } from '../components/ErrorNotice';
import { ExtendControl } from '../components/ExtendControl';
import { Icon, type IconName } from '../components/Icon';
import { ImageTools } from '../components/ImageTools';
import { MaskPainter, type MaskPainterHandle } from '../components/MaskPainter';
import { MODES, ModeSwitch } from '../components/ModeSwitch';
import { AdvancedFields } from '../components/AdvancedFields';
import { modelOf, ParametersForm } from '../components/ParametersForm';
import { ProgressView } from '../components/ProgressView';
import { PromptFields } from '../components/PromptFields';
import { ResultsGrid } from '../components/ResultsGrid';
import { SliderField } from '../components/SliderField';
import { SourcePicker } from '../components/SourcePicker';
import { StyleField } from '../components/StyleField';
import { isActive, useJobRunner } from '../hooks/use-job-runner';
import type { ModelsState } from '../hooks/use-models';
import { useRecentJobs } from '../hooks/use-recent-jobs';
import { useResumeJob } from '../hooks/use-resume-job';
import { useLatest } from '../hooks/use-stored-state';
import type { StylesState } from '../hooks/use-styles';
import { useSubmitShortcut } from '../hooks/use-submit-shortcut';
import { EXTEND_PRESETS, extendedSize, marginsFitGrid, marginsTotal } from '../lib/outpaint';
import { blendRequest, editRequest, toolRequest, withMode, type BlendInput, type EditMode, type EditParams } from '../lib/params';
import { isNarrow, SUBMIT_SHORTCUT } from '../lib/platform';
import { gridOf } from '../lib/sizes';

export type SourceImage = Pick<ImageView, 'id' | 'url' | 'width' | 'height'>;

interface Props {
  active: boolean;
  params: EditParams;
  setParams: (update: (p: EditParams) => EditParams) => void;
  models: ModelsState;
  styles: StylesState;
  source: SourceImage | null;
  setSource: (image: SourceImage | null) => void;
  blend: BlendInput[];
  setBlend: (inputs: BlendInput[]) => void;
  brushSize: number;
  setBrushSize: (size: number) => void;
  /** Loads a result's settings (and its inputs, when still kept). */
  onReuse: (job: JobView, image: ImageView) => void;
  /** What the last reuse loaded, until the settings change. */
  reuseNote: string | null;
  clearReuseNote: () => void;
}

const OPERATIONS = ['img2img', 'inpaint', 'style', 'outpaint', 'blend', 'upscale', 'remove-background'] as const;

const RUN: Record<EditMode, { label: string; icon: IconName; placeholder: string; strength?: string }> = {
  img2img: { label: 'Transform image', icon: 'sparkle', placeholder: 'what the image should become, e.g. a green square', strength: 'How far to move from the source (0: unchanged, 1: a new image).' },
  inpaint: { label: 'Repaint masked area', icon: 'brush', placeholder: 'what to paint in the masked area, e.g. a yellow triangle', strength: 'How much the masked area may change (1: repaint it fully).' },
  style: { label: 'Apply style', icon: 'palette', placeholder: 'what the image shows, e.g. a red circle', strength: 'How strongly to restyle (0: unchanged, 1: redrawn freely).' },
  outpaint: { label: 'Extend image', icon: 'extend', placeholder: 'what to paint in the new area, e.g. a blue sky' },
  blend: { label: 'Blend images', icon: 'blend', placeholder: 'what the blend should show, e.g. a purple circle', strength: 'How far to move from the mix (0: the images averaged, 1: a new image).' },
};

export function EditPage({ active, params, setParams, models, styles, source, setSource, blend, setBlend, brushSize, setBrushSize, onReuse, reuseNote, clearReuseNote }: Props) {
  const id = useId();
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
  const { mode } = params;
  const inpaint = mode === 'inpaint';
  const blending = mode === 'blend';
  const grid = gridOf(modelOf(models.models, params.model) ?? { name: params.model });
  useResumeJob(recent, runner);

  const update = (patch: Partial<EditParams>) => {
    clearReuseNote();
    setParams((p) => ({ ...p, ...patch }));
  };

  const setMode = (next: EditMode) => {
    if (next === mode) return;
    clearReuseNote();
    setFormError(null);
    setParams((p) => {
      const changed = withMode(p, next);
      if (changed === p) return p;
      // Start each mode ready to run: a style picked, a frame to extend to.
      if (next === 'style' && !p.style) changed.style = styles.styles[0]?.name ?? null;
      return source ? withFrame(changed, source) : changed;
    });
    // The image being edited is the first of a new blend.
    if (next === 'blend' && blend.length === 0 && source) setBlend([{ image: source, weight: 1 }]);
  };

  /** Extending with nothing to add yet: the first preset, so the mode is ready to run. */
  const withFrame = (p: EditParams, image: SourceImage): EditParams =>
    p.mode === 'outpaint' && marginsTotal(p.margins) === 0 ? { ...p, margins: EXTEND_PRESETS[0]!.margins(image.width, image.height, grid) ?? p.margins } : p;

  /** Why the form cannot run yet, in words; null when it can. */
  const problem = (): string | null => {
    if (blending) {
      if (blend.length < 2) return 'Choose at least two images to blend.';
      if (!blend.some((input) => input.weight > 0)) return 'Give at least one image a weight above 0.';
      return null;
    }
    if (!source) return 'Choose an image to edit first.';
    if (inpaint && !painter.current?.hasPaint()) return 'Paint over the area to repaint first, or choose “Whole image”.';
    if (mode === 'style' && !params.style) return 'Choose a style first.';
    if (mode === 'outpaint' && marginsTotal(params.margins) === 0) return 'Add pixels on at least one side to extend the image.';
    if (mode === 'outpaint' && !marginsFitGrid(params.margins, grid)) return `Each side must be a multiple of ${grid.multiple} for this model.`;
    return null;
  };

  const run = useLatest(async () => {
    if (busy) return;
    setFormError(null);
    setStartedBy('form');
    clearReuseNote();
    const why = problem();
    if (why) return setFormError(why);
    setPreparing(true);
    try {
      let request: GenerationRequest;
      if (blending) request = blendRequest(params, blend);
      else {
        let mask: string | undefined;
        if (inpaint) mask = (await api.upload(await painter.current!.toBlob(), 'mask.png')).id;
        request = editRequest(params, source!.id, mask);
      }
      const job = await runner.start(request);
      if (job && isNarrow()) resultsRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    } catch (error) {
      setFormError(messageOf(error));
    } finally {
      setPreparing(false);
    }
  });

  useSubmitShortcut(active, () => void run());

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run();
  };

  const pick = (image: SourceImage) => {
    setSource(image);
    setParams((p) => withFrame(p, image));
    setChoosing(false);
    setFormError(null);
  };

  /** A result's Edit: it becomes the source (in Whole image mode, coming from a blend). */
  const editResult = (image: SourceImage) => {
    pick(image);
    if (blending) setMode('img2img');
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
  const copy = RUN[mode];
  const runLabel = blending && blend.length >= 2 ? `Blend ${blend.length} images` : copy.label;
  const ready = blending ? blend.length >= 2 : Boolean(source);
  const pending = !blending && !source ? 'Choose an image first.' : inpaint && !hasPaint ? 'Paint the area to repaint on the image.' : blending && blend.length < 2 ? `Choose ${2 - blend.length} more image${blend.length === 1 ? '' : 's'} to blend.` : null;
  // The shape of what is being made, for the progress box.
  const shape = blending ? blend[0]?.image : source && mode === 'outpaint' ? extendedSize(source.width, source.height, params.margins) : source;
  const showingSource = Boolean(source) && !choosing;

  return (
    <div className="page-grid edit-grid">
      <div className="edit-modes">
        <ModeSwitch value={mode} onChange={setMode} describedBy={`${id}-mode`} />
        <p className="hint mode-what" id={`${id}-mode`}>
          {MODES.find((m) => m.mode === mode)?.what}
        </p>
      </div>

      <section className="panel canvas-panel" aria-labelledby="edit-source-title">
        <div className="panel-head">
          <h2 className="section-title" id="edit-source-title">
            {blending ? 'Images to blend' : showingSource ? 'Source image' : 'Choose an image'}
          </h2>
          {blending ? (
            <span className="hint">{blend.length} of 4</span>
          ) : showingSource ? (
            <button type="button" className="button button-small button-quiet" onClick={() => setChoosing(true)}>
              <Icon name="image" size={16} /> Change image
            </button>
          ) : source ? (
            <button type="button" className="button button-small button-quiet" onClick={() => setChoosing(false)}>
              Back to the image
            </button>
          ) : null}
        </div>
        {blending ? (
          <BlendPicker inputs={blend} onChange={setBlend} refreshKey={active} />
        ) : source && !choosing ? (
          <>
            {/* Kept mounted while extending, so a painted mask survives a look at another mode. */}
            <div hidden={mode === 'outpaint'}>
              <MaskPainter ref={painter} image={source} painting={inpaint} brushSize={brushSize} onBrushSize={setBrushSize} onPaintChange={setHasPaint} />
            </div>
            {mode === 'outpaint' ? <ExtendControl image={source} margins={params.margins} grid={grid} onChange={(margins) => update({ margins })} /> : null}
          </>
        ) : (
          <SourcePicker onPick={pick} refreshKey={active} />
        )}
      </section>

      <form className="panel form-panel" onSubmit={onSubmit} aria-label="Edit settings" id="edit-form">
        {mode === 'style' ? (
          <StyleField value={params.style} onChange={(style) => update({ style })} styles={styles} prompt={params.prompt} emptySubject="the image" allowNone={false} />
        ) : null}
        <PromptFields
          prompt={params.prompt}
          negative={params.negative_prompt}
          placeholder={copy.placeholder}
          optional={mode === 'style' || blending}
          onChange={(patch) => update(patch)}
        />
        {copy.strength ? (
          <SliderField label="Strength" name="strength" value={params.strength} min={0} max={1} step={0.05} onChange={(strength) => update({ strength })} hint={copy.strength} />
        ) : null}
        <div className="generate-bar">
          <button
            type="submit"
            className="button button-primary button-wide"
            disabled={busy || !ready}
            aria-describedby={submitError ? 'edit-error' : undefined}
            aria-keyshortcuts="Control+Enter Meta+Enter"
            title={`${runLabel} (${SUBMIT_SHORTCUT})`}
          >
            <Icon name={copy.icon} />
            {preparing ? (inpaint ? 'Uploading the mask…' : 'Sending…') : isActive(runner.state.phase) ? 'Working…' : runLabel}
            <kbd className="button-kbd" aria-hidden="true">
              {SUBMIT_SHORTCUT}
            </kbd>
          </button>
          {pending ? <p className="hint">{pending}</p> : null}
          <ErrorNotice id="edit-error" message={submitError} onDismiss={() => (formError ? setFormError(null) : runner.dismiss())} />
          {reuseNote ? (
            <p className="hint hint-ok" role="status">
              {reuseNote}
            </p>
          ) : null}
        </div>
        <details className="more-settings">
          <summary>More settings</summary>
          <ParametersForm value={params} onChange={update} models={models} showSize={false} />
          <AdvancedFields value={params} onChange={update} model={modelOf(models.models, params.model)} />
        </details>
        {blending ? null : (
          <ImageTools
            tools={models.tools}
            ready={Boolean(source) && !busy}
            onRun={(operation, scale) => void runTool(operation, scale)}
            error={startedBy === 'tool' ? startError : null}
            onDismissError={runner.dismiss}
          />
        )}
      </form>

      <section className="results-panel edit-results" aria-labelledby="edit-results-title" ref={resultsRef}>
        <h2 className="section-title" id="edit-results-title" tabIndex={-1}>
          Edits
        </h2>
        <ProgressView state={runner.state} onCancel={runner.cancel} onDismiss={runner.dismiss} width={shape?.width} height={shape?.height} />
        <ErrorNotice message={notice ?? recent.error} onDismiss={() => (notice ? setNotice(null) : recent.setError(null))} />
        <ResultsGrid
          jobs={recent.jobs.filter((job) => job.status === 'done')}
          onReuse={(job, image) => {
            setNotice(null);
            onReuse(job, image);
          }}
          onEdit={(image) => editResult(image)}
          onImageChange={recent.updateImage}
          onImageDeleted={recent.removeImage}
          onError={setNotice}
          empty={recent.loaded && !busy ? <p className="empty-state compact hint">Edited images will appear here.</p> : null}
        />
      </section>
    </div>
  );
}
