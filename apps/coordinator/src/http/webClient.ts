import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';

/**
 * The Vite build of apps/web-client, found from the coordinator package's folder (the nearest one above this
 * file with a package.json), so neither the working directory nor running from src/ or the compiled dist/ matters.
 */
export const WEB_CLIENT_DIST = join(packageRoot(dirname(fileURLToPath(import.meta.url))), '../web-client/dist');

function packageRoot(dir: string): string {
  return existsSync(join(dir, 'package.json')) || dirname(dir) === dir ? dir : packageRoot(dirname(dir));
}

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
