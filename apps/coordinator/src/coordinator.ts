import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ADMIN_NAMESPACE } from '@flock/fl-core';
import { pino, type Level } from 'pino';
import { Server } from 'socket.io';
import { QueryBook } from './analytics/queryBook.ts';
import { DeviceAdmission } from './auth/deviceAdmission.ts';
import { httpHardeningForSockets } from './auth/httpHardening.ts';
import { DEFAULT_SECURITY_LIMITS, type SecurityLimits } from './auth/securityLimits.ts';
import { listRoutes, type RouteEntry } from './auth/routeTable.ts';
import { ConnectionsPerIp, guardAdminConnections, guardDeviceConnections, limitConnectionsPerIp } from './auth/socketGuards.ts';
import { TokenService } from './auth/tokenService.ts';
import { DEFAULT_HEARTBEAT, type HeartbeatSettings } from './config.ts';
import { CoordinatorHeartbeat, HEARTBEAT_INTERVAL_MS } from './cluster/coordinatorHeartbeat.ts';
import { ensureDemoFederation } from './demoFederation.ts';
import { MnistSource } from './evaluation/mnistSource.ts';
import type { EvaluationWorkerSetup } from './evaluation/evaluationMessages.ts';
import { EvaluationThread } from './evaluation/evaluationThread.ts';
import { useCpuBackend } from './evaluation/modelEvaluator.ts';
import { FederationDirectory } from './federations/federationDirectory.ts';
import { FederationRuntime, type FederationOutputs, type RuntimeDeps } from './federations/federationRuntime.ts';
import { federationQueries } from './federations/queryDriver.ts';
import { createHttpApp } from './http/httpApp.ts';
import { CoordinatorMetrics } from './metrics/coordinatorMetrics.ts';
import { PendingWork } from './pendingWork.ts';
import type { EventLogLimits } from './storage/eventLog.ts';
import { openStore } from './storage/openStore.ts';
import { throttleRepeats } from './federations/repeatThrottle.ts';
import { storedTopology } from './federations/federationModel.ts';
import { adminOutputs, attachAdminSocket } from './transport/adminSocket.ts';
import { ChunkedDownloads, type DownloadLimits } from './transport/chunkedDownloads.ts';
import { DEFAULT_UPLOAD_LIMITS, federationUploads } from './transport/chunkedUploads.ts';
import type { DeviceServer } from './transport/deviceEvents.ts';
import { attachDeviceSocket, deviceOutputs, onlineDevices } from './transport/deviceNamespace.ts';
import { shareFederations } from './cluster/sharedFederations.ts';
import { connectRedisAdapter } from './transport/redisAdapter.ts';

export interface CoordinatorOptions {
  port: number;
  host: string;
  dataDir: string;
  adminToken: string;
  logLevel: Level | 'silent';
  /** Defaults to apps/web-client/dist. */
  webClientDir?: string;
  /** The tfjs backend global models are evaluated on (in the evaluation thread); defaults to the cpu kernels. */
  evaluation?: EvaluationWorkerSetup;
  /** Socket.IO ping settings; defaults to DEFAULT_HEARTBEAT (10 s / 20 s). */
  heartbeat?: HeartbeatSettings;
  /** Message sizes, rate limits, CORS origins; defaults to DEFAULT_SECURITY_LIMITS. */
  security?: SecurityLimits;
  /** When a model goes down in chunks instead of inside round:start; defaults to DEFAULT_DOWNLOAD_LIMITS. */
  downloads?: DownloadLimits;
  /** Event-log retention; defaults to DEFAULT_EVENT_LOG_LIMITS. */
  eventLog?: EventLogLimits;
  /** Set: the data and the signing key live in this PostgreSQL database, shared by every coordinator on it; absent: PGlite and jwt-key in the data dir. */
  databaseUrl?: string;
  /** Set: room broadcasts go through this Redis to every coordinator sharing it; absent: Socket.IO's in-memory adapter. */
  redisUrl?: string;
  /** How this coordinator names itself to others sharing its database (leases, the coordinators view); defaults to the host name and a random suffix. */
  coordinatorId?: string;
}

export interface RunningCoordinator {
  url: string;
  coordinatorId: string;
  port: number;
  /** Every REST route with the role it declares (the security test walks them all). */
  routes: RouteEntry[];
  close(): Promise<void>;
}

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const TICK_MS = 1000;
const CLOSING_NOTICE_MS = 200;
const CLOSING_WORDS = 'The coordinator is shutting down or restarting. This device keeps its work, reconnects by itself and goes on.';

export async function startCoordinator(options: CoordinatorOptions): Promise<RunningCoordinator> {
  const coordinatorId = options.coordinatorId ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const logger = pino({ level: options.logLevel, base: { service: 'coordinator', coordinatorId } });
  // First: an unreachable Redis stops the start before anything else is opened.
  const redis = options.redisUrl ? await connectRedisAdapter(options.redisUrl, logger) : null;
  // Building a federation's model (its manifest and round-0 weights) needs a backend here too.
  await useCpuBackend();
  const store = await openStore({
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl,
    eventLog: { limits: options.eventLog, onError: (err) => logger.error({ err }, 'event log write failed') },
  });
  const signingKey = await store.signingKey();
  if (signingKey.generated) logger.warn({ where: signingKey.where }, 'generated a new signing key: tokens signed with any earlier key no longer work');
  const security = options.security ?? DEFAULT_SECURITY_LIMITS;
  const tokens = await TokenService.open(store.tokens, signingKey.key, options.adminToken);
  // Coordinators sharing the database revoke tokens too: each learns the others' revocations within a heartbeat.
  const stopFollowingRevocations = options.databaseUrl
    ? tokens.followRevocations(HEARTBEAT_INTERVAL_MS, (err) => logger.error({ err }, 'reading the revoked tokens failed; trying again'))
    : null;

  const mnist = new MnistSource();
  const evaluator = new EvaluationThread(storedTopology(store.uploadedModels), options.evaluation);
  const work = new PendingWork((err) => logger.error({ err }, 'background work failed'));
  const federations = new Map<string, FederationRuntime>();
  const queries = await QueryBook.open(store.queries, { onWriteError: (err) => logger.error({ err }, 'saving a finished query failed') });
  let runtimeDeps: RuntimeDeps | null = null;
  const directory = await FederationDirectory.open(federations, store.federations, () => {
    if (!runtimeDeps) throw new Error('the coordinator is still starting');
    return runtimeDeps;
  });
  const metrics = new CoordinatorMetrics({
    connectedDevices: () => [...federations.values()].map((f) => [f.config.id, f.deviceList().filter((d) => d.connected).length]),
    roundRecord: (federationId, round) =>
      federations
        .get(federationId)
        ?.roundRecords()
        .find((r) => r.round === round),
  });

  // Express must be the server's listener before Socket.IO attaches: Socket.IO then keeps /socket.io/ for itself.
  const app = createHttpApp({
    federations,
    store,
    tokens,
    security,
    version: VERSION,
    logger,
    webClientDir: options.webClientDir,
    directory,
    metrics,
    uploadedModels: store.uploadedModels,
    takeBackup: () => store.backup(),
    storeShared: options.databaseUrl !== undefined,
    queries: federationQueries(federations, queries),
  });
  const httpServer = createServer(app);
  // Longer than clients' idle keep-alive (Playwright, proxies): a request on a socket the server is closing gets ECONNRESET.
  httpServer.keepAliveTimeout = 65_000;
  // A phone that sleeps, walks out of Wi-Fi or loses its tab never closes its socket, and TCP alone
  // notices nothing for minutes to hours: until then the device counts as online, is selected and
  // holds its round up to the deadline. The coordinator pings every device every pingInterval and
  // disconnects one that has not answered within pingTimeout, so a vanished device is gone within
  // pingInterval + pingTimeout (30 s by default; Socket.IO's own 25 s + 20 s, left implicit, gave 45 s).
  // pingTimeout also bounds how long one message may take to arrive, since a pong waits behind an
  // update being uploaded: raise it (FLOCK_PING_TIMEOUT_MS) for big models on slow links.
  const heartbeat = options.heartbeat ?? DEFAULT_HEARTBEAT;
  const io: DeviceServer = new Server(httpServer, {
    ...httpHardeningForSockets(security),
    serveClient: false,
    pingInterval: heartbeat.pingIntervalMs,
    pingTimeout: heartbeat.pingTimeoutMs,
    ...(redis && { adapter: redis.adapter }),
  });
  const admin = adminOutputs(io as unknown as Server, federations);
  const downloads = new ChunkedDownloads(options.downloads);
  // Uploads buffered for a round that closed are freed within a tick.
  const uploads = federationUploads(federations, { ...DEFAULT_UPLOAD_LIMITS, budgetBytes: security.uploadBudgetBytes });
  const adminFeed = throttleRepeats(admin.event);
  const outputs: FederationOutputs = {
    ...deviceOutputs(io, downloads, uploads),
    ...admin,
    event(entry) {
      adminFeed(entry);
      metrics.observe(entry);
    },
  };
  // Several coordinators share the federations when they share a database and a Redis.
  const shared =
    redis && options.databaseUrl
      ? shareFederations({
          io: io as unknown as Server,
          coordinatorId,
          store,
          federations,
          runtimeDeps: () => runtimeDeps!,
          onlineDevices: (federationId) => onlineDevices(io, federationId),
          logger,
        })
      : null;
  runtimeDeps = { store, evaluator, mnist, logger, outputs, work, queries, ...(shared && { cluster: shared.cluster }) };
  for (const stored of await store.federations.list()) {
    federations.set(stored.config.id, await FederationRuntime.load(stored, runtimeDeps));
  }
  if (await ensureDemoFederation(federations, runtimeDeps)) logger.info('created the demo federation');
  guardDeviceConnections(io.of('/'), tokens, security);
  guardAdminConnections(io.of(ADMIN_NAMESPACE), tokens, security);
  limitConnectionsPerIp([io.of('/'), io.of(ADMIN_NAMESPACE)], new ConnectionsPerIp(security.maxConnectionsPerIp, security.trustedProxies));
  let closing: Promise<void> | null = null;
  attachDeviceSocket(io, { federations, logger, admission: new DeviceAdmission(tokens), downloads, uploads, metrics, closing: () => closing !== null });
  attachAdminSocket(io as unknown as Server, { federations, logger, metrics });

  const ticker = setInterval(() => {
    const now = Date.now();
    uploads.sweep();
    for (const f of federations.values()) f.tick(now);
  }, TICK_MS);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host}:${port}`;
  shared?.start();
  const presence = await CoordinatorHeartbeat.start(
    store.coordinators,
    { id: coordinatorId, url, startedAt: new Date(), devices: () => io.of('/').sockets.size },
    logger,
  );

  const close = () =>
    (closing ??= (async () => {
      clearInterval(ticker);
      // From here every device message is refused for now (deviceNamespace.ts); devices keep their updates.
      // Local: through the Redis adapter it would reach the devices of every other coordinator too.
      io.of('/').local.emit('coordinator:closing', { reason: CLOSING_WORDS });
      // Lets the notice leave before the connections close; io.close() does not flush what was emitted.
      await new Promise((resolve) => setTimeout(resolve, CLOSING_NOTICE_MS));
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await redis?.close();
      await work.drain();
      await queries.flushed();
      // After the last round was saved: the others take this coordinator's federations at once.
      await shared?.stop();
      await evaluator.close();
      stopFollowingRevocations?.();
      await presence.stop();
      await store.close();
      logger.info('coordinator closed');
    })());

  return { url, coordinatorId, port, routes: listRoutes(app), close };
}
