import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { federationApi, type ApiDeps } from './federationApi.ts';
import { webClient } from './webClient.ts';

export function createHttpApp(deps: ApiDeps & { logger: Logger; webClientDir?: string }): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use('/api', federationApi(deps));
  app.use(webClient(deps.webClientDir));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    deps.logger.error({ err, path: req.path }, 'request failed');
    if (!res.headersSent) res.status(500).json({ ok: false, reason: 'internal error; see the coordinator log' });
  });
  return app;
}
