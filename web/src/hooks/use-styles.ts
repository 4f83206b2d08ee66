// The style presets the server offers (GET /api/v1/styles), loaded once per page view. A
// server from before the presets has no such route: then there are none, and no error.

import { useEffect, useState } from 'react';
import { ApiError, api, messageOf } from '../api/client';
import type { StylePreset } from '../api/types';

export interface StylesState {
  styles: StylePreset[];
  error: string | null;
  loading: boolean;
}

export function useStyles(): StylesState {
  const [state, setState] = useState<StylesState>({ styles: [], error: null, loading: true });
  useEffect(() => {
    let live = true;
    api.styles().then(
      (styles) => live && setState({ styles, error: null, loading: false }),
      (error: unknown) => {
        if (!live) return;
        const absent = ApiError.isInstance(error) && error.status === 404;
        setState({ styles: [], error: absent ? null : messageOf(error), loading: false });
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}
