import express from 'express';
import type { Logger } from 'pino';
import { queriesApi, type QueriesApiDeps } from '../analytics/queriesApi.ts';
import { authApi } from '../auth/authApi.ts';
import { authenticate } from '../auth/guard.ts';
import { httpHardening, restRateLimit } from '../auth/httpHardening.ts';
import { listRoutes } from '../auth/routeTable.ts';
import type { SecurityLimits } from '../auth/securityLimits.ts';
import type { TokenService } from '../auth/tokenService.ts';
import type { CoordinatorMetrics } from '../metrics/coordinatorMetrics.ts';
import { metricsRoute } from '../metrics/metricsRoute.ts';
import { backupApi } from './backupApi.ts';
import { coordinatorsApi } from './coordinatorsApi.ts';
import { deviceBytesApi } from './deviceBytesApi.ts';
import { errorBoundary } from './errorBoundary.ts';
import type { UploadedModelRepository } from '../storage/store.ts';
import type { ApiDeps } from './apiDeps.ts';
import { federationApi } from './federationApi.ts';
import { modelsApi } from './modelsApi.ts';
import { protocolApi } from './protocolApi.ts';
import { webClient } from './webClient.ts';

export function createHttpApp(
  deps: ApiDeps & {
    logger: Logger;
    webClientDir?: string;
    metrics: CoordinatorMetrics;
    uploadedModels: UploadedModelRepository;
    tokens: TokenService;
    security: SecurityLimits;
    takeBackup: () => Promise<Uint8Array>;
    /** Other coordinators share the store (PostgreSQL): federations run where their leases are held. */
    storeShared: boolean;
    /** Federated analytics: the queries' routes under /api/federations/:id/queries. */
    queries: QueriesApiDeps;
  },
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind the balancers it names, req.ip (the rate limits' key) is the client X-Forwarded-For names, not the balancer.
  app.set('trust proxy', deps.security.trustedProxies);
  // Every route declares its role with `allow` (auth/guard.ts); `authenticate` reads the bearer token for all of them first.
  app.use(httpHardening(deps.security), authenticate(deps.tokens));
  app.use('/api', restRateLimit(deps.security));
  app.use('/api', authApi({ tokens: deps.tokens, federationExists: (id) => deps.federations.has(id), loginsPerMinute: deps.security.loginsPerMinute }));
  // Before federationApi: uploads need their own body limit, and federationApi answers unknown routes with 404.
  app.use('/api', modelsApi(deps.uploadedModels));
  app.use('/api', deviceBytesApi(deps));
  app.use('/api', backupApi(deps.takeBackup));
  app.use('/api', coordinatorsApi({ store: deps.store, federationsRunAlone: deps.storeShared ? null : () => [...deps.federations.keys()].sort() }));
  app.use('/api', queriesApi(deps.queries));
  app.use('/api', protocolApi());
  app.use('/api', federationApi(deps));
  app.use(metricsRoute(deps.metrics));
  app.use(webClient(deps.webClientDir));
  app.use(errorBoundary({ logger: deps.logger, metrics: deps.metrics, routes: () => listRoutes(app) }));
  return app;
}
