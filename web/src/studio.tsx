// The four pages, each in its own error boundary, and the state they share: the forms'
// parameters, the image being edited, the installed models. Create and Edit stay mounted
// while hidden, so a running job, a painted mask and typed settings survive a visit to
// another page.

import { useCallback, useEffect, useRef, useState } from 'react';
import { api, messageOf } from './api/client';
import type { ImageView, JobView, Me } from './api/types';
import { ErrorBoundary } from './components/ErrorBoundary';
import { ErrorNotice } from './components/ErrorNotice';
import { BRUSH_MAX, BRUSH_MIN } from './components/MaskPainter';
import { navigate, type Route } from './hooks/use-hash-route';
import { useModels } from './hooks/use-models';
import { useParamsState } from './hooks/use-params-state';
import { useStoredState } from './hooks/use-stored-state';
import type { PageInfo } from './lib/pages';
import { DEFAULT_EDIT_PARAMS, DEFAULT_PARAMS, paramsFromJob } from './lib/params';
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
  const [createParams, setCreateParams] = useParamsState('create', DEFAULT_PARAMS);
  const [editParams, setEditParams] = useParamsState('edit', DEFAULT_EDIT_PARAMS);
  const [brushSize, setBrushSize] = useStoredState('brush', 32, sanitizeBrush);
  const [source, setSource] = useState<SourceImage | null>(null);
  const [appError, setAppError] = useState<string | null>(null);

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
    navigate('edit');
  }, []);

  const reuse = useCallback(
    async (job: JobView, image: ImageView | undefined) => {
      setAppError(null);
      if (job.operation === 'txt2img') {
        setCreateParams((p) => paramsFromJob(job, image, p));
        return navigate('create');
      }
      setEditParams((p) => ({ ...paramsFromJob(job, image, p), mode: job.operation === 'inpaint' ? 'inpaint' : 'img2img' }));
      // The source image of an edit, if it is still kept.
      try {
        const input = job.image ? (await api.images({ limit: 500 })).find((i) => i.id === job.image) : undefined;
        if (input) setSource(input);
      } catch (error) {
        setAppError(messageOf(error));
      }
      navigate('edit');
    },
    [setCreateParams, setEditParams],
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
                <CreatePage active={active} params={createParams} setParams={setCreateParams} models={models} onEditImage={editImage} />
              ) : page.route === 'edit' ? (
                <EditPage
                  active={active}
                  params={editParams}
                  setParams={setEditParams}
                  models={models}
                  source={source}
                  setSource={setSource}
                  brushSize={brushSize}
                  setBrushSize={setBrushSize}
                />
              ) : page.route === 'gallery' ? (
                <GalleryPage onReuse={(job, image) => void reuse(job, image)} onEdit={editImage} />
              ) : (
                <PrivacyPage
                  account={account}
                  onErased={() => {
                    setSource(null);
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
