import { z } from 'zod';

/** What one device cost on the wire in one round it contributed to: its update up, the model down. */
export const DeviceRoundBytes = z.object({
  /** The round the update was folded into. */
  round: z.number().int(),
  deviceId: z.string(),
  bytesUp: z.number().int(),
  /** Null when the round was stored before downlink bytes were recorded per device. */
  bytesDown: z.number().int().nullable(),
  /** What the device moved in called-off attempts at this round; absent for rounds stored before this was recorded. */
  abandonedBytesUp: z.number().int().optional(),
  abandonedBytesDown: z.number().int().optional(),
});
export type DeviceRoundBytes = z.infer<typeof DeviceRoundBytes>;
