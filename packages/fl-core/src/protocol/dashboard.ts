import { z } from 'zod';
import { FederationConfig } from '../config/federation.ts';
import { AdapterInfo, BackendName, DevicePlatform, DeviceState, FederationId, FederationStatus } from './device.ts';

// What the coordinator tells the dashboard (REST answers and the /admin feed) about federations,
// their rounds, devices and events. A summary carries the federation's config (config/).

export const RoundRecord = z.object({
  round: z.number().int(),
  participants: z.number().int(),
  examples: z.number().int(),
  accuracy: z.number().nullable(),
  loss: z.number().nullable(),
  /** The devices' reported local training loss, weighted by the examples each trained on (unweighted before issue 16). */
  trainLoss: z.number().nullable(),
  /** The devices' reported local training accuracy, weighted by examples; null for rounds stored before it was recorded. */
  trainAccuracy: z.number().nullable(),
  durationMs: z.number(),
  bytesUp: z.number().int(),
  bytesDown: z.number().int(),
  /** Traffic of attempts at this round that were called off (paused, too few answers), apart from bytesUp/bytesDown; absent before issue 16. */
  abandonedBytesUp: z.number().int().optional(),
  abandonedBytesDown: z.number().int().optional(),
  rejected: z.number().int(),
  completedAt: z.string(),
  /** Why the round closed; null for rounds stored before this was recorded. */
  closedBy: z.enum(['all-answered', 'deadline', 'buffer-full']).nullable(),
  /** Synchronous rounds: how long the round was allowed (its deadline, extension included); null when async. */
  deadlineMs: z.number().nullable(),
  /** Synchronous rounds: whether the deadline was extended once because too few devices had answered. */
  extended: z.boolean(),
  /** FedBuff: mean staleness of the aggregated updates; null for synchronous rounds. */
  meanStaleness: z.number().nullable(),
  /** Differential privacy spent after this round, at the federation's delta; null or absent without DP. */
  epsilon: z.number().nullable().optional(),
});
export type RoundRecord = z.infer<typeof RoundRecord>;

export const DeviceInfo = z.object({
  deviceId: z.string(),
  federationId: FederationId,
  connected: z.boolean(),
  state: DeviceState,
  backend: BackendName.nullable(),
  adapter: AdapterInfo.nullable(),
  /** Absent: the device did not say (a client from before platforms were named). */
  platform: DevicePlatform.optional(),
  shardId: z.string(),
  examples: z.number().int(),
  roundsContributed: z.number().int(),
  lastSeen: z.string(),
});
export type DeviceInfo = z.infer<typeof DeviceInfo>;

export const FederationSummary = z.object({
  config: FederationConfig,
  status: FederationStatus,
  round: z.number().int(),
  updatesThisRound: z.number().int(),
  selectedThisRound: z.number().int(),
  /** Archived federations leave the default lists; their data stays. */
  archived: z.boolean().optional(),
  /** Devices registered with the federation, and how many of them are connected now (lists only). */
  devices: z.object({ registered: z.number().int(), connected: z.number().int() }).optional(),
  /** The ε training and the federation's analytics queries spent, charged together against its target (strategy's privacySpend), and in words. */
  privacySpend: z.object({ training: z.number().nullable(), queries: z.number(), total: z.number().nullable(), words: z.string() }).optional(),
});
export type FederationSummary = z.infer<typeof FederationSummary>;

export const EventLogEntry = z.object({
  at: z.string(),
  federationId: z.string().nullable(),
  level: z.enum(['info', 'warn']),
  kind: z.string(),
  message: z.string(),
  deviceId: z.string().nullable(),
  /** How often the event happened in a row (absent: once); `at` is then the last time, `firstAt` the first. */
  count: z.number().int().positive().optional(),
  firstAt: z.string().optional(),
});
export type EventLogEntry = z.infer<typeof EventLogEntry>;
