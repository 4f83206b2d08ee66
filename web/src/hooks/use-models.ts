// The installed models, loaded once per page view.

import { useEffect, useState } from 'react';
import { api, messageOf } from '../api/client';
import type { ModelInfo } from '../api/types';

export interface ModelsState {
  models: ModelInfo[];
  error: string | null;
  loading: boolean;
}

export function useModels(): ModelsState {
  const [state, setState] = useState<ModelsState>({ models: [], error: null, loading: true });
  useEffect(() => {
    let live = true;
    api.models().then(
      (models) => live && setState({ models, error: null, loading: false }),
      (error: unknown) => live && setState({ models: [], error: messageOf(error), loading: false }),
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}
