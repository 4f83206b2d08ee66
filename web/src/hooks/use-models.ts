// The installed models and the image tools the server has, loaded once per page view.

import { useEffect, useState } from 'react';
import { api, messageOf } from '../api/client';
import type { ModelInfo } from '../api/types';

export interface ModelsState {
  models: ModelInfo[];
  /** Operations that need no model (upscale, remove-background) this server can run. */
  tools: string[];
  error: string | null;
  loading: boolean;
}

export function useModels(): ModelsState {
  const [state, setState] = useState<ModelsState>({ models: [], tools: [], error: null, loading: true });
  useEffect(() => {
    let live = true;
    api.models().then(
      ({ models, tools }) => live && setState({ models, tools, error: null, loading: false }),
      (error: unknown) => live && setState({ models: [], tools: [], error: messageOf(error), loading: false }),
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}
