import type { ManagerOptions } from 'socket.io-client';

/**
 * WebSocket first (one connection, binary frames, no long-polling requests), HTTP long-polling
 * only when a WebSocket cannot open. Shared by the device page and the dashboard.
 */
export function socketTransportOptions(): Pick<ManagerOptions, 'transports' | 'tryAllTransports'> {
  return { transports: ['websocket', 'polling'], tryAllTransports: true };
}
