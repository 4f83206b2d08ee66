// Builds the studio (web/) into web/dist, which the server serves at /. Everything the
// page needs is bundled: no CDN, no web font, nothing from another origin.

import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The CSP allows no inline scripts or styles; keep every asset a file of its own.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    // `npx vite --config web/vite.config.ts` during development: the API is the local server.
    proxy: { '/api': 'http://127.0.0.1:7860', '/privacy': 'http://127.0.0.1:7860' },
  },
});
