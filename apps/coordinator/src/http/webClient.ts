import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';

/** The Vite build of apps/web-client, found relative to this file so the working directory does not matter. */
export const WEB_CLIENT_DIST = fileURLToPath(new URL('../../../web-client/dist', import.meta.url));

/** Static assets, then index.html for every page path (/, /admin, ...) so the client router decides. */
export function webClient(distDir = WEB_CLIENT_DIST): RequestHandler[] {
  const indexHtml = join(distDir, 'index.html');
  const spaFallback: RequestHandler = (req, res, next) => {
    const isPage = (req.method === 'GET' || req.method === 'HEAD') && !req.path.startsWith('/api/') && extname(req.path) === '';
    if (!isPage) return next();
    // Checked per request: the client may be built while the coordinator runs.
    if (!existsSync(indexHtml)) {
      res.status(503).type('text/plain').send('The web client is not built yet: run `npm run build`, then reload.\n');
      return;
    }
    res.sendFile(indexHtml);
  };
  return [express.static(distDir, { index: false }), spaFallback];
}
