import { AdapterInfo, BackendName, DeviceId, DevicePlatform, FederationId } from '@flock/fl-core';
import { z } from 'zod';

const Count = z.number().int().min(0);
const Finite = z.number().finite();

/** What the owner of a federation needs to count a device that connected to another coordinator. */
const OnlineDevice = z.object({
  deviceId: DeviceId,
  shardIndex: z.number().int(),
  examples: Count,
  backend: BackendName.nullable(),
  adapter: AdapterInfo.nullable(),
  platform: DevicePlatform.optional(),
  roundsContributed: Count,
});

const OpenedRound = z.object({
  federationId: FederationId,
  round: z.number().int().min(1),
  attempt: z.string().min(1).max(200),
  selected: z.array(DeviceId),
  deadline: Finite,
  startedAt: Finite,
});

/**
 * What coordinators sharing a database and a Redis tell each other about the federations they
 * serve (Socket.IO server-side events through the Redis adapter). Small: model and update bytes
 * never travel this way; a coordinator reads models from the database and folds updates there.
 * Parsed like any other input: a coordinator of another version, or anything else on the stream,
 * cannot make one act on a message it does not understand.
 */
export const ClusterMessage = z.discriminatedUnion('kind', [
  /** A device said hello to (or left) the coordinator `from`. */
  z.object({ kind: z.literal('device'), from: z.string(), federationId: FederationId, device: OnlineDevice, online: z.boolean() }),
  /** The owner opened a round: every coordinator sends the model to its own selected devices and takes their updates. */
  z.object({ kind: z.literal('round-opened'), from: z.string(), round: OpenedRound }),
  /** A coordinator folded a device's update into its partial of the round `attempt`. */
  z.object({
    kind: z.literal('counted'),
    from: z.string(),
    federationId: FederationId,
    attempt: z.string(),
    update: z.object({ deviceId: DeviceId, round: z.number().int().min(1), examples: Count, loss: Finite, accuracy: Finite, bytesUp: Count }),
  }),
  /** A federation was created, edited, changed status or stored a round: the others read it again from the database. */
  z.object({ kind: z.literal('federation-changed'), from: z.string(), federationId: FederationId }),
  /** An operator asked a coordinator that does not own the federation: its owner carries it out. */
  z.object({ kind: z.literal('operate'), from: z.string(), federationId: FederationId, action: z.enum(['start', 'pause', 'resume', 'stop']) }),
  /** `from` took the federation's lease: the others tell it which of their devices are online. */
  z.object({ kind: z.literal('owner'), from: z.string(), federationId: FederationId, epoch: z.number().int().min(1) }),
]);
export type ClusterMessage = z.infer<typeof ClusterMessage>;
export type OnlineDevice = z.infer<typeof OnlineDevice>;
export type OperatorAction = Extract<ClusterMessage, { kind: 'operate' }>['action'];

/** Messages as sent: `from` is filled in by the bus. */
export type ClusterMessageDraft = ClusterMessage extends infer M ? (M extends ClusterMessage ? Omit<M, 'from'> : never) : never;
