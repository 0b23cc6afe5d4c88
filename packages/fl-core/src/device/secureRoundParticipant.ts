import { SecAggDevice } from '../secagg/device.ts';
import type { ParsedSecAggRequestMessage } from '../secagg/messages.ts';
import type { SecAggResult } from '../secagg/params.ts';

/** The update a device trained for a round, as the masked-input stage needs it. */
export interface TrainedUpdate {
  /** The exact delta (trained weights minus the round's global model). */
  delta: Float32Array;
  /** Examples it trained on: its weight in the round's mean. */
  examples: number;
}

/**
 * A device's part in securely aggregated rounds: a fresh SecAggDevice (fresh keys) for every advertise request, so an
 * attempt that is redone never reuses a key; each later request goes to it. The masked-input stage waits for the
 * round's update (`updateFor`: training may still run) and masks it. Answers are the stage's message, or why not.
 */
export class SecureRoundParticipant {
  private current: SecAggDevice | null = null;
  private currentRound = -1;

  constructor(
    private readonly ids: { deviceId: string; federationId: string },
    private readonly updateFor: (round: number, deadline: number) => Promise<TrainedUpdate | null>,
  ) {}

  async answer(msg: ParsedSecAggRequestMessage): Promise<SecAggResult<unknown>> {
    const { federationId, round } = msg.request;
    if (federationId !== this.ids.federationId) return refuse(`the coordinator asked about federation ${federationId}, which this device did not join`);
    if (msg.stage === 'advertise') {
      this.current = new SecAggDevice({ federationId, round, deviceId: this.ids.deviceId });
      this.currentRound = round;
      return { ok: true, value: this.current.advertise() };
    }
    const device = this.currentRound === round ? this.current : null;
    if (!device) return refuse(`this device holds no keys for round ${round} (it joined after the keys were exchanged), so it sits that round out`);
    switch (msg.stage) {
      case 'share-keys':
        return device.shareKeys(msg.request);
      case 'masked-input': {
        const update = await this.updateFor(round, msg.deadline);
        if (!update) return refuse(`this device has no update for round ${round} (its training did not finish in time or was called off)`);
        return device.maskInput(msg.request, update.delta, update.examples);
      }
      case 'unmask':
        return device.unmask(msg.request);
      default:
        return msg satisfies never;
    }
  }
}

function refuse(reason: string): SecAggResult<never> {
  return { ok: false, reason };
}
