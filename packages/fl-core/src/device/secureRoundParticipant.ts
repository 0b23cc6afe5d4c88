import { queryOfSecureRound } from '../analytics/secureQueryRounds.ts';
import { SecAggDevice } from '../secagg/device.ts';
import type { Masker } from '../secagg/masking.ts';
import type { ParsedSecAggRequestMessage } from '../secagg/messages.ts';
import type { SecAggResult } from '../secagg/params.ts';
import { maskAnswerWords } from './secureQueryAnswers.ts';

/** The update a device trained for a round, as the masked-input stage needs it. */
export interface TrainedUpdate {
  /** The exact delta (trained weights minus the round's global model). */
  delta: Float32Array;
  /** Examples it trained on: its weight in the round's mean. */
  examples: number;
}

/** A training round's secure stages and a query's secure sum run side by side, each with its own keys. */
type Carries = 'update' | 'answer';

interface Slot {
  round: number;
  device: SecAggDevice;
  /** A query's answer, encoded, once its masked-input stage has it. */
  answer: { words: Uint32Array | null };
}

/**
 * A device's part in securely aggregated rounds: a fresh SecAggDevice (fresh keys) for every advertise request, so an
 * attempt that is redone never reuses a key; each later request goes to it. The masked-input stage waits for the
 * round's update (`updateFor`: training may still run) and masks it (with `masker`: a tab's runs in its training worker); a query's round (secureRoundOfQuery) masks the
 * query's answer instead (`answerFor`: words already encoded). Answers are the stage's message, or why not.
 */
export class SecureRoundParticipant {
  private readonly current = new Map<Carries, Slot>();

  constructor(
    private readonly ids: { deviceId: string; federationId: string },
    private readonly updateFor: (round: number, deadline: number) => Promise<TrainedUpdate | null>,
    private readonly answerFor: (round: number, deadline: number) => Promise<Uint32Array | null> = async () => null,
    private readonly masker?: Masker,
  ) {}

  async answer(msg: ParsedSecAggRequestMessage): Promise<SecAggResult<unknown>> {
    const { federationId, round } = msg.request;
    if (federationId !== this.ids.federationId) return refuse(`the coordinator asked about federation ${federationId}, which this device did not join`);
    const query = queryOfSecureRound(round);
    const carries: Carries = query === null ? 'update' : 'answer';
    if (msg.stage === 'advertise') {
      const tag = { federationId, round, deviceId: this.ids.deviceId };
      const answer: Slot['answer'] = { words: null };
      // A query's words are encoded already: its masker only adds the masks (the update maskInput gets is a placeholder).
      const device = query === null ? new SecAggDevice(tag, this.masker) : new SecAggDevice(tag, (work) => maskAnswerWords(answer.words!, work));
      this.current.set(carries, { round, device, answer });
      return { ok: true, value: device.advertise() };
    }
    const slot = this.current.get(carries);
    if (slot?.round !== round)
      return refuse(
        query === null
          ? `this device holds no keys for round ${round} (it joined after the keys were exchanged), so it sits that round out`
          : `this device holds no keys for query ${query}'s secure sum (it joined after the keys were exchanged), so it does not answer it`,
      );
    const { device, answer } = slot;
    switch (msg.stage) {
      case 'share-keys':
        return device.shareKeys(msg.request);
      case 'masked-input': {
        if (query !== null) {
          answer.words = await this.answerFor(round, msg.deadline);
          if (!answer.words) return refuse(`this device has no answer to query ${query} (it could not compute one in time)`);
          return device.maskInput(msg.request, new Float32Array(answer.words.length - 1), 1);
        }
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
