import type { ModelChunkReply, ModelChunkRequest, RoundStartAnnouncement } from './chunkedDownloadMessages.ts';
import type { ChunkAck, UpdateBeginMessage, UpdateChunkMessage } from './chunkedUploadMessages.ts';
import type {
  Ack,
  CoordinatorClosingMessage,
  FederationStatusMessage,
  FinalEvaluationMessage,
  FinalModelMessage,
  HelloMessage,
  HelloReply,
  ProtocolErrorMessage,
  RoundAbandonedMessage,
  StatusMessage,
  UpdateMessage,
} from './device.ts';
import type { EventLogEntry } from './dashboard.ts';
import type { SecAggAnswerMessage, SecAggRequestMessage } from '../secagg/messages.ts';
import type { QueryAnswerMessage, QueryAskMessage } from '../analytics/messages.ts';
import type { ConsoleSnapshot } from './pages.ts';

/**
 * Socket.IO event maps shared by the coordinator and every client. Payload types are what a
 * well-behaved peer sends; receivers still parse each one with its schema from messages.ts.
 */
export interface DeviceToCoordinatorEvents {
  hello: (msg: HelloMessage, ack: (reply: HelloReply) => void) => void;
  status: (msg: StatusMessage) => void;
  update: (msg: UpdateMessage, ack: (reply: Ack) => void) => void;
  /** An update too big for one message, in chunks (chunkedUpload.ts). */
  'update:begin': (msg: UpdateBeginMessage, ack: (reply: ChunkAck) => void) => void;
  'update:chunk': (msg: UpdateChunkMessage, ack: (reply: ChunkAck) => void) => void;
  /** A slice of a model too big for round:start (chunkedDownload.ts). */
  'model:chunk': (msg: ModelChunkRequest, ack: (reply: ModelChunkReply) => void) => void;
  /** The device's score of the final model (model:final) on its held-out examples. */
  'evaluation:final': (msg: FinalEvaluationMessage, ack: (reply: Ack) => void) => void;
  /** Secure aggregation: the device's answer to one stage's request. */
  'secagg:answer': (msg: SecAggAnswerMessage, ack: (reply: Ack) => void) => void;
  /** Federated analytics: the device's answer vector to a query it was asked (query:ask). */
  'query:answer': (msg: QueryAnswerMessage, ack: (reply: Ack) => void) => void;
}

/** Every event a device may send, in the order the protocol document lists them; the coordinator refuses any other. */
export const DEVICE_EVENTS = [
  'hello',
  'status',
  'update',
  'update:begin',
  'update:chunk',
  'model:chunk',
  'evaluation:final',
  'secagg:answer',
  'query:answer',
] as const satisfies readonly (keyof DeviceToCoordinatorEvents)[];
export type DeviceEvent = (typeof DEVICE_EVENTS)[number];

export interface CoordinatorToDeviceEvents {
  'round:start': (msg: RoundStartAnnouncement) => void;
  'federation:status': (msg: FederationStatusMessage) => void;
  'round:abandoned': (msg: RoundAbandonedMessage) => void;
  'model:final': (msg: FinalModelMessage) => void;
  'protocol:error': (msg: ProtocolErrorMessage) => void;
  'coordinator:closing': (msg: CoordinatorClosingMessage) => void;
  /** Secure aggregation: one stage of the round's protocol asks this device for its part. */
  'secagg:request': (msg: SecAggRequestMessage) => void;
  /** Federated analytics: answer this query from the device's examples (aggregates only, as `whatLeaves` says). */
  'query:ask': (msg: QueryAskMessage) => void;
}

/** The dashboard's namespace (`/admin`); the handshake's `auth.token` must be the admin token. */
export const ADMIN_NAMESPACE = '/admin';

export interface AdminToCoordinatorEvents {
  /** `console: true` asks for the console's slim snapshots (ConsoleSnapshot) instead of full ones. */
  subscribe: (msg: { federationId: string }) => void;
}

export interface CoordinatorToAdminEvents {
  snapshot: (msg: ConsoleSnapshot) => void;
  /** The events logged about the federation since the last such message, oldest first. */
  events: (msgs: EventLogEntry[]) => void;
  'protocol:error': (msg: ProtocolErrorMessage) => void;
}
