import {
  FinalEvaluationMessage,
  HelloMessage,
  PROTOCOL_VERSION,
  StatusMessage,
  UpdateMessage,
  zodReason,
  type Ack,
  type HelloReply,
  type ModelChunkReply,
} from '@flock/fl-core';
import { QueryAnswerMessage } from '@flock/fl-core/analytics';
import { SecAggAnswerMessage, toWire } from '@flock/fl-core/secagg';
import type { Logger } from 'pino';
import type { DeviceAdmission } from '../auth/deviceAdmission.ts';
import type { FederationOutputs, FederationRuntime } from '../federations/federationRuntime.ts';
import type { ChunkedDownloads } from './chunkedDownloads.ts';
import type { CoordinatorMetrics } from '../metrics/coordinatorMetrics.ts';
import { attachChunkedUploads, type ChunkedUploads } from './chunkedUploads.ts';
import { DEVICE_EVENTS, type DeviceEvent, type DeviceServer, type DeviceSocket } from './deviceEvents.ts';
import { answerer, guarded, type GuardedOn, type SocketBoundaryDeps } from './socketBoundary.ts';

const federationRoom = (federationId: string) => `federation:${federationId}`;
const deviceRoom = (federationId: string, deviceId: string) => `device:${federationId}:${deviceId}`;

/** The devices connected in a federation, to this coordinator or (through the Redis adapter) any other. */
export async function onlineDevices(io: DeviceServer, federationId: string): Promise<string[]> {
  const sockets = await io.in(federationRoom(federationId)).fetchSockets();
  return [...new Set(sockets.flatMap((s) => (s.data.deviceId ? [s.data.deviceId] : [])))];
}

export function deviceOutputs(
  io: DeviceServer,
  downloads: ChunkedDownloads,
  uploads: Pick<ChunkedUploads, 'roundSent'>,
): Pick<FederationOutputs, 'sendRoundStart' | 'broadcastStatus' | 'broadcastRoundAbandoned' | 'broadcastFinalModel' | 'sendSecAggRequest' | 'sendQueryAsk'> {
  // round:start and model:final carry model weights: they go to this coordinator's own sockets only
  // (io.local), never through the Redis adapter (redisAdapter.ts), which would copy every model into
  // Redis and to every other coordinator. A device gets them from the coordinator it is connected to.
  return {
    sendRoundStart(federationId, deviceIds, msg) {
      // An empty room list would broadcast to every socket.
      if (deviceIds.length === 0) return;
      uploads.roundSent(federationId, deviceIds, msg.round);
      io.local.to(deviceIds.map((id) => deviceRoom(federationId, id))).emit('round:start', downloads.announce(msg));
    },
    broadcastStatus(msg) {
      io.to(federationRoom(msg.federationId)).emit('federation:status', msg);
    },
    broadcastRoundAbandoned(msg) {
      io.to(federationRoom(msg.federationId)).emit('round:abandoned', msg);
    },
    broadcastFinalModel(msg) {
      io.local.to(federationRoom(msg.federationId)).emit('model:final', msg);
    },
    sendSecAggRequest(federationId, deviceId, msg) {
      io.to(deviceRoom(federationId, deviceId)).emit('secagg:request', toWire(msg));
    },
    sendQueryAsk(federationId, deviceIds, { scoredModel: model, ...msg }) {
      // An empty room list would broadcast to every socket.
      if (deviceIds.length === 0) return;
      // A confusion matrix names its model; each device pulls it from this coordinator with model:chunk unless it holds those bytes.
      const named = model && { round: model.round, model: model.model, download: downloads.serveQueryModel(federationId, model.round, model.weights) };
      io.to(deviceIds.map((id) => deviceRoom(federationId, id))).emit('query:ask', named ? { ...msg, model: named } : msg);
    },
  };
}

export interface DeviceSocketDeps {
  federations: ReadonlyMap<string, FederationRuntime>;
  logger: Logger;
  admission: DeviceAdmission;
  downloads: ChunkedDownloads;
  uploads: ChunkedUploads;
  metrics: Pick<CoordinatorMetrics, 'handlerFailed'>;
  /** True once the coordinator is shutting down: every message is then refused for now. */
  closing: () => boolean;
}

/** What a device hears while the coordinator shuts down; its session keeps its update and sends it after reconnecting. */
export const CLOSING_REFUSAL = {
  ok: false,
  reason: 'The coordinator is shutting down; this device keeps its work and sends it again once it reconnects.',
  retryAfterMs: 1_000,
} as const;

/**
 * Devices on the default namespace. Nothing a device sends is trusted: each message is parsed
 * by its schema first, every failure is answered with a reason (ack, else 'protocol:error'), and
 * every handler runs inside the error boundary (socketBoundary.ts).
 */
export function attachDeviceSocket(io: DeviceServer, deps: DeviceSocketDeps): void {
  const { federations, logger, admission, downloads, uploads } = deps;
  io.on('connection', (socket: DeviceSocket) => {
    const log = logger.child({ socket: socket.id });
    const boundary: SocketBoundaryDeps = {
      metrics: deps.metrics,
      logger: log,
      door: (event) => `socket ${event}`,
      eventLogOf: () => {
        const runtime = runtimeOf(socket);
        return runtime && ((message) => runtime.record('warn', 'handler-failed', message, socket.data.deviceId!));
      },
    };
    const on: GuardedOn<DeviceEvent> = (event, handle) => void socket.on(event, guarded(socket, event, boundary, handle));
    attachChunkedUploads(socket, uploads, () => runtimeOf(socket), on);

    // A middleware, not onAny: it runs after the connection's rate limit (auth/socketGuards.ts).
    socket.use(([event, ...args], next) => {
      if (deps.closing()) return answerer(socket, String(event), args)(CLOSING_REFUSAL);
      if ((DEVICE_EVENTS as readonly unknown[]).includes(event)) return next();
      answerer(socket, String(event), args)({ ok: false, reason: `unknown event "${String(event)}"; devices send hello, status or update` });
    });

    on<HelloReply>('hello', async (payload, reply) => {
      const { reply: answer, runtime } = await hello(socket, payload);
      reply(answer);
      if (answer.ok && runtime && socket.connected) runtime.deviceConnected(socket.data.deviceId!);
    });

    on<Ack>('status', (payload, reply) => {
      const parsed = StatusMessage.safeParse(payload);
      if (!parsed.success) return reply({ ok: false, reason: zodReason(parsed.error) });
      const runtime = runtimeOf(socket);
      if (!runtime) return reply({ ok: false, reason: 'say hello before sending status' });
      runtime.setDeviceState(socket.data.deviceId!, parsed.data.state);
      reply({ ok: true });
    });

    on<Ack>('update', async (payload, reply) => {
      const runtime = runtimeOf(socket);
      const parsed = UpdateMessage.safeParse(payload);
      if (!parsed.success) {
        const reason = `update is malformed: ${zodReason(parsed.error)}`;
        if (runtime) runtime.record('warn', 'update-rejected', reason, socket.data.deviceId!);
        else log.warn({ reason }, 'update rejected');
        return reply({ ok: false, reason });
      }
      if (!runtime) {
        log.warn('update before hello rejected');
        return reply({ ok: false, reason: 'say hello before sending updates' });
      }
      reply(await runtime.submitUpdate(socket.data.deviceId!, parsed.data));
    });

    on<Ack>('evaluation:final', (payload, reply) => {
      const parsed = FinalEvaluationMessage.safeParse(payload);
      if (!parsed.success) return reply({ ok: false, reason: `evaluation:final is malformed: ${zodReason(parsed.error)}` });
      const runtime = runtimeOf(socket);
      if (!runtime) return reply({ ok: false, reason: 'say hello before sending an evaluation' });
      reply(runtime.finalEvaluation(socket.data.deviceId!, parsed.data));
    });

    on<Ack>('secagg:answer', async (payload, reply) => {
      const parsed = SecAggAnswerMessage.safeParse(payload);
      if (!parsed.success) return reply({ ok: false, reason: `secagg:answer is malformed: ${zodReason(parsed.error)}` });
      const runtime = runtimeOf(socket);
      if (!runtime) return reply({ ok: false, reason: 'say hello before taking part in secure aggregation' });
      reply(await runtime.secureAnswer(socket.data.deviceId!, parsed.data, maskedBytes(parsed.data)));
    });

    on<Ack>('query:answer', (payload, reply) => {
      const parsed = QueryAnswerMessage.safeParse(payload);
      if (!parsed.success) return reply({ ok: false, reason: `query:answer is malformed: ${zodReason(parsed.error)}` });
      const runtime = runtimeOf(socket);
      if (!runtime) return reply({ ok: false, reason: 'say hello before answering a query' });
      reply(runtime.queryAnswer(socket.data.deviceId!, parsed.data));
    });

    on<ModelChunkReply>('model:chunk', (payload, reply) => {
      if (!runtimeOf(socket)) return reply({ ok: false, reason: 'say hello before asking for model chunks' });
      reply(downloads.chunk(socket.data.federationId!, payload));
    });

    // 'ping timeout' is a device that vanished without closing its socket (see the heartbeat in coordinator.ts).
    on('disconnect', (reason) => {
      const { federationId, deviceId } = socket.data;
      if (federationId && deviceId) uploads.disconnected({ federationId, deviceId });
      const runtime = runtimeOf(socket);
      if (!runtime) return;
      log.info({ deviceId: socket.data.deviceId, reason }, 'device socket closed');
      runtime.deviceDisconnected(socket.data.deviceId!);
    });
  });

  /** The size of a masked update's vector, for the round's traffic; other answers are a few hundred bytes. */
  function maskedBytes(msg: SecAggAnswerMessage): number {
    const masked = (msg.answer as { masked?: unknown } | null)?.masked;
    return masked instanceof Uint8Array || masked instanceof ArrayBuffer ? masked.byteLength : 0;
  }

  function runtimeOf(socket: DeviceSocket): FederationRuntime | undefined {
    const { federationId, deviceId } = socket.data;
    return federationId && deviceId ? federations.get(federationId) : undefined;
  }

  async function hello(socket: DeviceSocket, raw: unknown): Promise<{ reply: HelloReply; runtime?: FederationRuntime }> {
    const parsed = HelloMessage.safeParse(raw);
    if (!parsed.success) return { reply: { ok: false, reason: `hello is malformed: ${zodReason(parsed.error)}` } };
    const msg = parsed.data;
    if (msg.protocolVersion !== PROTOCOL_VERSION) {
      const reason = `protocol version ${msg.protocolVersion} is not supported; this coordinator speaks version ${PROTOCOL_VERSION} (reload the page)`;
      return { reply: { ok: false, reason } };
    }
    const runtime = federations.get(msg.federationId);
    if (!runtime) return { reply: { ok: false, reason: `unknown federation "${msg.federationId}"` } };
    const { deviceId: current, federationId: currentFederation } = socket.data;
    if (current) {
      if (current === msg.deviceId && currentFederation === msg.federationId) {
        const reply = await runtime.admitDevice(msg);
        if (reply.ok) runtime.resendRound(msg.deviceId);
        return { reply };
      }
      return { reply: { ok: false, reason: `this connection already belongs to device ${current}; open a new one for another device` } };
    }
    const reply = await admission.admit(socket.data.credential ?? { kind: 'none' }, msg, runtime.config, () => runtime.admitDevice(msg));
    if (!reply.ok || !socket.connected) return { reply };
    socket.data.deviceId = msg.deviceId;
    socket.data.federationId = msg.federationId;
    await socket.join([federationRoom(msg.federationId), deviceRoom(msg.federationId, msg.deviceId)]);
    return { reply, runtime };
  }
}
