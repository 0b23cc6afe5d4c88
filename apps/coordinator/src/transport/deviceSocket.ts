import {
  HelloMessage,
  PROTOCOL_VERSION,
  StatusMessage,
  UpdateMessage,
  type Ack,
  type CoordinatorToDeviceEvents,
  type DeviceToCoordinatorEvents,
  type HelloReply,
  type ModelChunkReply,
} from '@flock/fl-core';
import type { Logger } from 'pino';
import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import type { DeviceAdmission } from '../auth/deviceAdmission.ts';
import type { Credential } from '../auth/principal.ts';
import type { FederationOutputs, FederationRuntime } from '../federations/federationRuntime.ts';
import type { ChunkedDownloads } from './chunkedDownloads.ts';
import { attachChunkedUploads, ChunkedUploads } from './chunkedUploads.ts';
import { zodReason } from './zodReason.ts';

export interface DeviceSocketData {
  federationId?: string;
  deviceId?: string;
  /** What the handshake token was worth (auth/socketGuards.ts). */
  credential?: Credential;
}

export type DeviceServer = Server<DeviceToCoordinatorEvents, CoordinatorToDeviceEvents, DefaultEventsMap, DeviceSocketData>;
type DeviceSocket = Socket<DeviceToCoordinatorEvents, CoordinatorToDeviceEvents, DefaultEventsMap, DeviceSocketData>;

const DEVICE_EVENTS = new Set(['hello', 'status', 'update', 'update:begin', 'update:chunk', 'model:chunk']);

const federationRoom = (federationId: string) => `federation:${federationId}`;
const deviceRoom = (federationId: string, deviceId: string) => `device:${federationId}:${deviceId}`;

export function deviceOutputs(io: DeviceServer, downloads: ChunkedDownloads): Pick<FederationOutputs, 'sendRoundStart' | 'broadcastStatus'> {
  return {
    sendRoundStart(federationId, deviceIds, msg) {
      // An empty room list would broadcast to every socket.
      if (deviceIds.length === 0) return;
      io.to(deviceIds.map((id) => deviceRoom(federationId, id))).emit('round:start', downloads.announce(msg));
    },
    broadcastStatus(msg) {
      io.to(federationRoom(msg.federationId)).emit('federation:status', msg);
    },
  };
}

/**
 * Devices on the default namespace. Nothing a device sends is trusted: each message is parsed
 * by its schema first, and every failure is answered with a reason (ack, else 'protocol:error').
 */
export function attachDeviceSocket(io: DeviceServer, federations: ReadonlyMap<string, FederationRuntime>, logger: Logger, admission: DeviceAdmission, downloads: ChunkedDownloads): void {
  const uploads = new ChunkedUploads();
  io.on('connection', (socket: DeviceSocket) => {
    const log = logger.child({ socket: socket.id });
    attachChunkedUploads(socket, uploads, () => runtimeOf(socket));

    socket.onAny((event: unknown) => {
      if (typeof event === 'string' && DEVICE_EVENTS.has(event)) return;
      socket.emit('protocol:error', { event: String(event), reason: `unknown event "${String(event)}"; devices send hello, status or update` });
    });

    socket.on('hello', (...args: unknown[]) => {
      const reply = replier<HelloReply>(socket, 'hello', args);
      hello(socket, args[0])
        .then(({ reply: answer, runtime }) => {
          reply(answer);
          if (answer.ok && runtime && socket.connected) runtime.deviceConnected(socket.data.deviceId!);
        })
        .catch((err: unknown) => {
          log.error({ err }, 'hello failed');
          reply({ ok: false, reason: 'the coordinator could not register this device; try again' });
        });
    });

    socket.on('status', (...args: unknown[]) => {
      const reply = replier<Ack>(socket, 'status', args);
      const parsed = StatusMessage.safeParse(args[0]);
      if (!parsed.success) return reply({ ok: false, reason: zodReason(parsed.error) });
      const runtime = runtimeOf(socket);
      if (!runtime) return reply({ ok: false, reason: 'say hello before sending status' });
      runtime.setDeviceState(socket.data.deviceId!, parsed.data.state);
      reply({ ok: true });
    });

    socket.on('update', (...args: unknown[]) => {
      const reply = replier<Ack>(socket, 'update', args);
      const runtime = runtimeOf(socket);
      const parsed = UpdateMessage.safeParse(args[0]);
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
      reply(runtime.submitUpdate(socket.data.deviceId!, parsed.data));
    });

    socket.on('model:chunk', (...args: unknown[]) => {
      const reply = replier<ModelChunkReply>(socket, 'model:chunk', args);
      if (!runtimeOf(socket)) return reply({ ok: false, reason: 'say hello before asking for model chunks' });
      reply(downloads.chunk(socket.data.federationId!, args[0]));
    });

    // 'ping timeout' is a device that vanished without closing its socket (see the heartbeat in coordinator.ts).
    socket.on('disconnect', (reason) => {
      const runtime = runtimeOf(socket);
      if (!runtime) return;
      log.info({ deviceId: socket.data.deviceId, reason }, 'device socket closed');
      runtime.deviceDisconnected(socket.data.deviceId!);
    });
  });

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

/** Acks when the peer asked for one (and the ack really is a function), else reports failures as protocol:error. */
function replier<T extends { ok: boolean; reason?: string }>(socket: DeviceSocket, event: string, args: unknown[]) {
  const ack = args.length > 1 ? args.at(-1) : undefined;
  return (reply: T): void => {
    if (typeof ack === 'function') ack(reply);
    else if (!reply.ok) socket.emit('protocol:error', { event, reason: reply.reason ?? 'refused' });
  };
}
