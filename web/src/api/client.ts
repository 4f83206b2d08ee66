// The studio's one way to the server: same-origin fetches to the native API, errors turned
// into ApiError with the server's code and readable message. A 401 outside the sign-in
// routes means the session ended; whoever listens (the session hook) shows the sign-in.

import type { ApiKeyView, AuthMethods, ImageView, JobRequest, JobView, Me, ModelList, PrivacyPolicy, StylePreset } from './types';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }

  static isInstance(value: unknown): value is ApiError {
    return value instanceof ApiError;
  }
}

/** A readable sentence for anything thrown, for an error notice. */
export function messageOf(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong.';
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code = 'http_' + response.status;
  let message = `The server answered ${response.status} ${response.statusText}`.trim();
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not JSON (a proxy's page, say): keep the status line.
  }
  return new ApiError(code, message, response.status);
}

const signedOutListeners = new Set<() => void>();

/** Calls `listener` whenever the server says the caller is not signed in; returns the unsubscribe. */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

// A wrong password on the sign-in routes is a 401 too, but it is the form's to show.
const SIGN_IN_ROUTES = /^\/api\/v1\/(auth\/|me$)/;

async function send(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, { credentials: 'same-origin', ...init });
  } catch {
    throw new ApiError('network', 'Cannot reach the Darkroom server. Is it still running?', 0);
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && !SIGN_IN_ROUTES.test(path)) for (const listener of signedOutListeners) listener();
    throw error;
  }
  return response;
}

async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await send(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  return (await response.json()) as T;
}

function postJson<T>(path: string, body: unknown): Promise<T> {
  return json<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export const api = {
  createJob: (spec: JobRequest) => postJson<JobView>('/api/v1/jobs', spec),
  job: (id: string) => json<JobView>(`/api/v1/jobs/${encodeURIComponent(id)}`),
  jobs: async () => (await json<{ jobs: JobView[] }>('/api/v1/jobs')).jobs,
  cancelJob: (id: string) => json<JobView>(`/api/v1/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' }),

  images: async (options: { kind?: 'output' | 'upload'; limit?: number } = {}) => {
    const query = new URLSearchParams();
    if (options.kind) query.set('kind', options.kind);
    if (options.limit) query.set('limit', String(options.limit));
    return (await json<{ images: ImageView[] }>(`/api/v1/images?${query}`)).images;
  },
  upload: (file: Blob, name = 'image.png') => {
    const form = new FormData();
    form.append('image', file, name);
    return json<ImageView>('/api/v1/uploads', { method: 'POST', body: form });
  },
  saveImage: (id: string) => json<ImageView>(`/api/v1/images/${encodeURIComponent(id)}/save`, { method: 'POST' }),
  deleteImage: async (id: string) => {
    await send(`/api/v1/images/${encodeURIComponent(id)}`, { method: 'DELETE' });
  },

  models: async () => {
    const list = await json<ModelList>('/api/v1/models');
    return { models: list.models, tools: list.tools ?? [] };
  },
  styles: async () => (await json<{ styles: StylePreset[] }>('/api/v1/styles')).styles,

  privacy: () => json<PrivacyPolicy>('/privacy'),
  exportMyData: async () => {
    const response = await send('/api/v1/me/export');
    const disposition = response.headers.get('content-disposition') ?? '';
    const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? 'darkroom-export.zip';
    return { blob: await response.blob(), name };
  },
  deleteMe: async () => {
    await send('/api/v1/me', { method: 'DELETE' });
  },

  authMethods: () => json<AuthMethods>('/api/v1/auth/methods'),
  me: () => json<Me>('/api/v1/me'),
  login: (email: string, password: string) => postJson<unknown>('/api/v1/auth/login', { email, password }),
  register: (email: string, password: string) => postJson<unknown>('/api/v1/auth/register', { email, password }),
  logout: async () => {
    await send('/api/v1/auth/logout', { method: 'POST' });
  },
  apiKeys: async () => (await json<{ keys: ApiKeyView[] }>('/api/v1/me/keys')).keys,
  createApiKey: () => postJson<{ id: string; key: string }>('/api/v1/me/keys', {}),
  revokeApiKey: async (id: string) => {
    await send(`/api/v1/me/keys/${encodeURIComponent(id)}`, { method: 'DELETE' });
  },
};

/** Thumbnail and full-size URLs of an image. */
export const imageUrl = (image: { url: string }, thumb = false) => (thumb ? `${image.url}?thumb=1` : image.url);
