import { DEVICE_EVENTS, type CoordinatorToDeviceEvents, type DeviceToCoordinatorEvents } from '@flock/fl-core';
import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import type { Credential } from '../auth/principal.ts';

/** The device namespace's types, shared by the socket's handlers and the chunked uploads they delegate to. */
export interface DeviceSocketData {
  federationId?: string;
  deviceId?: string;
  /** What the handshake token was worth (auth/socketGuards.ts). */
  credential?: Credential;
}

export type DeviceServer = Server<DeviceToCoordinatorEvents, CoordinatorToDeviceEvents, DefaultEventsMap, DeviceSocketData>;
export type DeviceSocket = Socket<DeviceToCoordinatorEvents, CoordinatorToDeviceEvents, DefaultEventsMap, DeviceSocketData>;

export { DEVICE_EVENTS };
export type DeviceEvent = (typeof DEVICE_EVENTS)[number] | 'disconnect';
