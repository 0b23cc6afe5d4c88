import { PROTOCOL_VERSION, type HelloMessage, type HelloReply } from '@flock/fl-core';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

/** What sayHello needs of a socket: a test's plain one or a typed DeviceSocket. */
interface HelloSender {
  emitWithAck(event: 'hello', hello: HelloMessage): Promise<HelloReply>;
}

/**
 * A device's connection to the coordinator at `url`: WebSocket only, a manager of its own; `options`
 * add or override (reconnection, auth). Untyped, so a test can also send what no device would.
 */
export function connectDevice(url: string, options: Partial<ManagerOptions & SocketOptions> = {}): Socket {
  return io(url, { transports: ['websocket'], forceNew: true, ...options });
}

/** The hello a test device sends: the cpu backend, no GPU adapter; `extra` adds fields (its own data). */
export function helloFrom(deviceId: string, federationId: string, extra: Partial<HelloMessage> = {}): HelloMessage {
  return { protocolVersion: PROTOCOL_VERSION, deviceId, federationId, backend: 'cpu', adapter: null, ...extra };
}

/** Says hello as `deviceId` to `federationId` and gives the coordinator's reply. */
export function sayHello(socket: HelloSender, deviceId: string, federationId: string, extra: Partial<HelloMessage> = {}): Promise<HelloReply> {
  return socket.emitWithAck('hello', helloFrom(deviceId, federationId, extra));
}
