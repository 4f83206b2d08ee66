// Create: describe an image, pick a style preset if wanted, set the parameters, generate
// (button or Ctrl/Cmd+Enter), watch it being made, and see the results; any result's
// parameters (its style too) can be reused.

import { useRef, useState, type FormEvent } from 'react';
import { SCHEDULERS, type ImageView, type JobView, type JobWarning } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Icon } from '../components/Icon';
import { AdvancedFields } from '../components/AdvancedFields';
import { modelOf, ParametersForm } from '../components/ParametersForm';
import { ProgressView } from '../components/ProgressView';
import { PromptFields } from '../components/PromptFields';
import { PromptHint } from '../components/PromptHint';
import { ResultsGrid } from '../components/ResultsGrid';
import { StyleField } from '../components/StyleField';
import { isActive, useJobRunner } from '../hooks/use-job-runner';
import type { ModelsState } from '../hooks/use-models';
import { useRecentJobs } from '../hooks/use-recent-jobs';
import { useResumeJob } from '../hooks/use-resume-job';
import { useLatest, useStoredState } from '../hooks/use-stored-state';
import type { StylesState } from '../hooks/use-styles';
import { useSubmitShortcut } from '../hooks/use-submit-shortcut';
import { EXAMPLE_PROMPT, paramsFromJob, txt2imgRequest, type GenerationParams } from '../lib/params';
import { isNarrow, SUBMIT_SHORTCUT } from '../lib/platform';

interface Props {
  active: boolean;
  params: GenerationParams;
  setParams: (update: (p: GenerationParams) => GenerationParams) => void;
  models: ModelsState;
  styles: StylesState;
  onEditImage: (image: ImageView) => void;
}

const OPERATIONS = ['txt2img'] as const;

/** The settings in force, in one line, for the closed settings section. */
function summarize(p: GenerationParams): string {
  const scheduler = SCHEDULERS.find((s) => s.name === p.scheduler)?.label ?? p.scheduler;
  const parts = [`${p.width}×${p.height}`, `${p.steps} steps`, scheduler, p.seed === null ? 'random seed' : `seed ${p.seed}`];
  if (p.n > 1) parts.push(`${p.n} images`);
  return parts.join(' · ');
}

export function CreatePage({ active, params, setParams, models, styles, onEditImage }: Props) {
  const recent = useRecentJobs(OPERATIONS, active);
  const runner = useJobRunner((job) => recent.add(job));
  const promptRef = useRef<HTMLTextAreaElement>(null);
  const progressRef = useRef<HTMLDivElement>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [reused, setReused] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<JobWarning[]>([]);
  const busy = isActive(runner.state.phase);
  // Open by default on wide screens; on a phone the results matter more than the knobs.
  const [settingsOpenPref, setSettingsOpenPref] = useStoredState<boolean | null>('create.settings-open', null, (v) => (typeof v === 'boolean' ? v : null));
  const settingsOpen = settingsOpenPref ?? !isNarrow();

  useResumeJob(recent, runner);

  const update = (patch: Partial<GenerationParams>) => {
    setReused(null);
    setFormError(null);
    setParams((p) => ({ ...p, ...patch }));
  };

  const generate = useLatest(async () => {
    if (busy) return;
    setNotice(null);
    setReused(null);
    setFormError(null);
    setWarnings([]);
    // The empty box shows an example as its placeholder: say so rather than make a random image.
    if (!params.prompt.trim()) {
      setFormError(`Describe the image to make first, for example “${EXAMPLE_PROMPT}”.`);
      promptRef.current?.focus();
      return;
    }
    const job = await runner.start(txt2imgRequest(params));
    setWarnings(job?.warnings ?? []);
    if (job && isNarrow()) progressRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  });

  useSubmitShortcut(active, () => void generate());

  const reuse = (job: JobView, image: ImageView) => {
    setParams((p) => paramsFromJob(job, image, p));
    setReused(job.prompt === null ? `Parameters of seed ${image.seed} loaded; the prompt is no longer kept, so yours stays.` : `Parameters of seed ${image.seed} loaded.`);
    promptRef.current?.focus();
    promptRef.current?.scrollIntoView({ behavior: 'smooth', block: 'center' });
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void generate();
  };

  const submitError = formError ?? (runner.state.phase === 'idle' ? runner.state.error : null);
  return (
    <div className="page-grid">
      <form className="panel form-panel" onSubmit={onSubmit} aria-label="Image settings" id="create-form">
        <PromptFields
          prompt={params.prompt}
          negative={params.negative_prompt}
          promptRef={promptRef}
          errorId={formError ? 'create-error' : undefined}
          onChange={(patch) => update(patch)}
        />
        {styles.loading || styles.styles.length || styles.error || params.style ? (
          <StyleField value={params.style} onChange={(style) => update({ style })} styles={styles} prompt={params.prompt} />
        ) : null}
        <div className="generate-bar">
          <button
            type="submit"
            className="button button-primary button-wide"
            disabled={busy}
            aria-describedby={submitError ? 'create-error' : undefined}
            aria-keyshortcuts="Control+Enter Meta+Enter"
            title={`Generate (${SUBMIT_SHORTCUT})`}
          >
            <Icon name="sparkle" />
            {busy ? 'Generating…' : params.n > 1 ? `Generate ${params.n} images` : 'Generate'}
            <kbd className="button-kbd" aria-hidden="true">
              {SUBMIT_SHORTCUT}
            </kbd>
          </button>
          <ErrorNotice id="create-error" message={submitError} onDismiss={() => (formError ? setFormError(null) : runner.dismiss())} />
          <PromptHint
            warnings={warnings}
            onUse={(prompt) => {
              update({ prompt });
              setWarnings([]);
              promptRef.current?.focus();
            }}
            onDismiss={() => setWarnings([])}
          />
          {reused ? (
            <p className="hint hint-ok" role="status">
              {reused}
            </p>
          ) : null}
        </div>
        <details
          className="settings"
          open={settingsOpen}
          onToggle={(event) => {
            const open = event.currentTarget.open;
            if (open !== settingsOpen) setSettingsOpenPref(open);
          }}
        >
          <summary>
            <span className="settings-title">Settings</span>
            <span className="settings-summary">{summarize(params)}</span>
          </summary>
          <div className="settings-body">
            <ParametersForm value={params} onChange={update} models={models} />
            <AdvancedFields value={params} onChange={update} model={modelOf(models.models, params.model)} showHires />
          </div>
        </details>
      </form>

      <section className="results-panel" aria-labelledby="create-results-title" ref={progressRef}>
        <h2 className="section-title" id="create-results-title" tabIndex={-1}>
          Results
        </h2>
        <ProgressView state={runner.state} onCancel={runner.cancel} onDismiss={runner.dismiss} width={runner.state.job?.width ?? params.width} height={runner.state.job?.height ?? params.height} />
        <ErrorNotice message={notice ?? recent.error} onDismiss={() => (notice ? setNotice(null) : recent.setError(null))} />
        <ResultsGrid
          jobs={recent.jobs.filter((job) => job.status === 'done')}
          onReuse={reuse}
          onEdit={(image) => onEditImage(image)}
          onImageChange={recent.updateImage}
          onImageDeleted={recent.removeImage}
          onError={setNotice}
          empty={
            recent.loaded && !busy ? (
              <div className="empty-state">
                <p>Your images will appear here.</p>
                <p className="hint">
                  Try “{EXAMPLE_PROMPT}”. The built-in model knows circles, squares and triangles in ten colours.
                </p>
              </div>
            ) : null
          }
        />
      </section>
    </div>
  );
}
