// The four pages, each in its own error boundary, and the state they share: the forms'
// parameters, the image being edited and the images of a blend, the installed models and
// style presets. Create and Edit stay mounted while hidden, so a running job, a painted mask
// and typed settings survive a visit to another page.

import { useCallback, useEffect, useRef, useState } from 'react';
import { api, messageOf } from './api/client';
import type { ImageView, JobView, Me } from './api/types';
import { ErrorBoundary } from './components/ErrorBoundary';
import { ErrorNotice } from './components/ErrorNotice';
import { BRUSH_MAX, BRUSH_MIN } from './components/MaskPainter';
import { navigate, type Route } from './hooks/use-hash-route';
import { useModels } from './hooks/use-models';
import { forgetPrompts, useParamsState } from './hooks/use-params-state';
import { useStoredState } from './hooks/use-stored-state';
import { useStyles } from './hooks/use-styles';
import type { PageInfo } from './lib/pages';
import { DEFAULT_EDIT_PARAMS, DEFAULT_PARAMS, editModeOf, paramsFromJob, withMode, type BlendInput } from './lib/params';
import { CreatePage } from './pages/CreatePage';
import { EditPage, type SourceImage } from './pages/EditPage';
import { GalleryPage } from './pages/GalleryPage';
import { PrivacyPage } from './pages/PrivacyPage';

const sanitizeBrush = (v: unknown) => (typeof v === 'number' && v >= BRUSH_MIN && v <= BRUSH_MAX ? Math.round(v) : 32);

interface Props {
  route: Route;
  pages: PageInfo[];
  /** The signed-in account, or null when accounts are off. */
  account: Me | null;
  /** Everything of the caller was erased (with accounts, the account too). */
  onErased: () => void;
}

export function Studio({ route, pages, account, onErased }: Props) {
  const models = useModels();
  const styles = useStyles();
  const [createParams, setCreateParams] = useParamsState('create', DEFAULT_PARAMS);
  const [editParams, setEditParams] = useParamsState('edit', DEFAULT_EDIT_PARAMS);
  const [brushSize, setBrushSize] = useStoredState('brush', 32, sanitizeBrush);
  const [source, setSource] = useState<SourceImage | null>(null);
  // Uploads expire, so the images of a blend are kept for this visit only.
  const [blend, setBlend] = useState<BlendInput[]>([]);
  const [editNote, setEditNote] = useState<string | null>(null);
  const clearEditNote = useCallback(() => setEditNote(null), []);
  const [appError, setAppError] = useState<string | null>(null);
  // Bumped by an erasure: Create and Edit start afresh, without the results and prompts they held.
  const [generation, setGeneration] = useState(0);

  // Moving between pages puts the focus on the new page's heading (for keyboards and
  // screen readers); the first page load leaves the focus alone.
  const shownRoute = useRef(route);
  useEffect(() => {
    if (shownRoute.current === route) return;
    shownRoute.current = route;
    document.getElementById(`${route}-title`)?.focus();
  }, [route]);

  const editImage = useCallback((image: SourceImage) => {
    setSource({ id: image.id, url: image.url, width: image.width, height: image.height });
    // A blend has no one source to show: edit the image as a whole instead.
    setEditParams((p) => (p.mode === 'blend' ? withMode(p, 'img2img') : p));
    navigate('edit');
  }, [setEditParams]);

  const reuse = useCallback(
    async (job: JobView, image: ImageView | undefined) => {
      setAppError(null);
      if (job.operation === 'txt2img') {
        setCreateParams((p) => paramsFromJob(job, image, p));
        return navigate('create');
      }
      const mode = editModeOf(job.operation);
      setEditParams((p) => ({ ...paramsFromJob(job, image, p), mode }));
      const notes = [image?.seed != null ? `Settings of seed ${image.seed} loaded.` : 'Settings loaded.'];
      if (job.prompt === null) notes.push('The prompt is no longer kept, so yours stays.');
      // The inputs of an edit, if they are still kept.
      const inputIds = mode === 'blend' ? (job.inputs ?? []) : job.image ? [job.image] : [];
      try {
        const kept = inputIds.length ? await api.images({ limit: 500 }) : [];
        const inputs = inputIds.map((id) => kept.find((i) => i.id === id));
        const found = inputs.every((input) => input !== undefined) ? (inputs as ImageView[]) : null;
        if (mode !== 'blend') {
          if (found?.[0]) setSource(found[0]);
          else if (job.image) notes.push('Its source image is no longer kept.');
        } else if (found?.length) {
          setBlend(found.map((input, i) => ({ image: input, weight: job.weights?.[i] ?? 1 })));
        } else {
          // Without the blend's inputs, its weights go to the images chosen, when they match.
          const weights = job.weights;
          const fits = weights !== undefined && blend.length === weights.length;
          if (fits) setBlend(blend.map((input, i) => ({ ...input, weight: weights[i]! })));
          notes.push(job.inputs ? 'Its images are no longer kept; choose others.' : fits ? 'Its weights now apply to the images chosen here.' : 'Choose the images to blend again.');
        }
      } catch (error) {
        setAppError(messageOf(error));
      }
      setEditNote(notes.join(' '));
      navigate('edit');
    },
    [setCreateParams, setEditParams, blend],
  );

  return (
    <>
      <ErrorNotice message={appError} onDismiss={() => setAppError(null)} />
      {pages.map((page) => {
        const active = route === page.route;
        // Gallery and Privacy load fresh each visit; Create and Edit keep their state.
        if (!active && (page.route === 'gallery' || page.route === 'privacy')) return null;
        return (
          <section key={page.route} className={`page page-${page.route}`} hidden={!active} aria-labelledby={`${page.route}-title`}>
            <header className="page-head">
              <h1 id={`${page.route}-title`} tabIndex={-1}>
                {page.title}
              </h1>
              <p className="page-intro">{page.intro}</p>
            </header>
            <ErrorBoundary area={`the ${page.label} page`} resetKey={route}>
              {page.route === 'create' ? (
                <CreatePage key={generation} active={active} params={createParams} setParams={setCreateParams} models={models} styles={styles} onEditImage={editImage} />
              ) : page.route === 'edit' ? (
                <EditPage
                  key={generation}
                  active={active}
                  params={editParams}
                  setParams={setEditParams}
                  models={models}
                  styles={styles}
                  source={source}
                  setSource={setSource}
                  blend={blend}
                  setBlend={setBlend}
                  brushSize={brushSize}
                  setBrushSize={setBrushSize}
                  onReuse={(job, image) => void reuse(job, image)}
                  reuseNote={editNote}
                  clearReuseNote={clearEditNote}
                />
              ) : page.route === 'gallery' ? (
                <GalleryPage onReuse={(job, image) => void reuse(job, image)} onEdit={editImage} />
              ) : (
                <PrivacyPage
                  account={account}
                  onErased={() => {
                    forgetPrompts();
                    const blank = { prompt: '', negative_prompt: '' };
                    setCreateParams((p) => ({ ...p, ...blank }));
                    setEditParams((p) => ({ ...p, ...blank }));
                    setSource(null);
                    setBlend([]);
                    setGeneration((g) => g + 1);
                    onErased();
                  }}
                />
              )}
            </ErrorBoundary>
          </section>
        );
      })}
    </>
  );
}
