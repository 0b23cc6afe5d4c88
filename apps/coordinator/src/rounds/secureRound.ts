import {
  SECAGG_STAGES,
  SecAggMaskedInput,
  SecAggServer,
  type Acceptance,
  type DistributedNoise,
  type MaskSummer,
  type SecAggAdvertiseRequest,
  type SecAggStage,
  type SecAggMaskedInputRequest,
  type SecAggResult,
  type SecAggShareKeysRequest,
  type SecAggUnmaskRequest,
  type SecureAggregationConfig,
} from '@flock/fl-core/secagg';

export type SecureStage = SecAggStage;

interface StageRequests {
  advertise: SecAggAdvertiseRequest;
  'share-keys': SecAggShareKeysRequest;
  'masked-input': SecAggMaskedInputRequest;
  unmask: SecAggUnmaskRequest;
}

/** Ask each named device for `stage`, with its own request, answering by `deadline` (absolute ms). */
export type AskDevices = {
  [S in SecureStage]: { type: 'askDevices'; stage: S; deadline: number; requests: ReadonlyMap<string, StageRequests[S]> };
}[SecureStage];

export type SecureRoundEffect =
  | AskDevices
  /** `missing`: devices asked that did not answer in time (or left): they count as dropped from here on. */
  | { type: 'stageClosed'; stage: SecureStage; closedBy: 'all-answered' | 'deadline'; answered: number; missing: string[] }
  /** Nothing is published; the round is redone with a fresh selection. */
  | { type: 'aborted'; stage: SecureStage; reason: string }
  /** The weighted mean of the contributors' clipped updates: what the strategy takes as the round's aggregated delta. */
  | {
      type: 'finished';
      mean: Float32Array;
      contributors: string[];
      totalWeight: number;
      /** The unmasked sum of the contributors' words (a query decodes its answer from it). */
      sum: Uint32Array;
    };

/** A vector the coordinator side held: each masked input as it was folded, then the unmasked sum (instrumentation). */
export type HeldVector = { kind: 'masked'; deviceId: string; words: Uint32Array } | { kind: 'sum'; words: Uint32Array };

export interface SecureRoundOptions {
  federationId: string;
  round: number;
  /** The devices the round selected: no other may take part. */
  selected: readonly string[];
  /** Values in the model update. */
  vectorLength: number;
  /** Each coordinate of an update is clipped to [-clip, clip] before quantization. */
  clip: number;
  /** Example counts above it weigh as it. */
  maxWeight: number;
  /** Random per attempt: places the devices on the neighbour ring. */
  roundSeed: string;
  config: SecureAggregationConfig;
  /** Distributed DP (the federation's privacy in mode 'distributed', see distributedNoiseOf): each device noises its update. */
  noise?: DistributedNoise | undefined;
  startedAt: number;
  /** The round's deadline (absolute ms), sized for training. */
  deadline: number;
  /** Called with every vector the coordinator side holds; a test asserts none is an individual update. */
  observe?: (held: HeldVector) => void;
  /** Expands the masks unmasking removes (the coordinator's worker threads); absent: on this thread. */
  maskSummer?: MaskSummer | undefined;
}

type RoundState = SecureStage | 'unmasking' | 'finished' | 'aborted';

/**
 * One attempt at one round under secure aggregation, pure: drives the core's SecAggServer through its four stages,
 * each closed when every device asked has answered or left, or at its deadline. Every input carries the time and
 * returns effects for the runtime (ask devices, stage closed, aborted, finished); tests drive it with a fake clock.
 * Masked inputs go into the server's running sum as they arrive, so the coordinator holds O(model) and never an update.
 */
export class SecureRound {
  private readonly server: SecAggServer;
  private readonly selected: ReadonlySet<string>;
  private readonly deadlines: Record<SecureStage, number>;
  private state: RoundState = 'advertise';
  private expected: ReadonlySet<string>;
  private answered = new Set<string>();
  private readonly gone = new Set<string>();
  private contributors: string[] = [];

  constructor(private readonly options: SecureRoundOptions) {
    const { federationId, round, vectorLength, clip, maxWeight, roundSeed, config, noise, maskSummer, startedAt, deadline } = options;
    this.server = new SecAggServer({ federationId, round, vectorLength, clip, maxWeight, roundSeed, config, noise, maskSummer });
    this.selected = new Set(options.selected);
    this.expected = this.selected;
    // Devices exchange keys while they train, so the masked inputs keep the whole deadline the round was sized for;
    // the key stages and unmasking move a few small messages each and get a tenth of the round each.
    const tenth = (deadline - startedAt) / 10;
    this.deadlines = { advertise: startedAt + tenth, 'share-keys': startedAt + 2 * tenth, 'masked-input': deadline, unmask: deadline + tenth };
  }

  /** The stage now, or what became of the round. */
  get stage(): RoundState {
    return this.state;
  }

  /** When the open stage closes at the latest; null once the last stage closed. */
  get stageDeadline(): number | null {
    return isStage(this.state) ? this.deadlines[this.state] : null;
  }

  /** Asks every selected device to advertise its keys. */
  begin(): SecureRoundEffect[] {
    const { federationId, round } = this.options;
    const request: SecAggAdvertiseRequest = { federationId, round };
    return [{ type: 'askDevices', stage: 'advertise', deadline: this.deadlines.advertise, requests: new Map([...this.selected].map((id) => [id, request])) }];
  }

  /** A device's answer to `stage` (an untrusted payload): refused with a reason, or counted; the stage closes once nobody is left to answer. */
  async receive(deviceId: string, stage: SecureStage, payload: unknown): Promise<{ result: Acceptance; effects: SecureRoundEffect[] }> {
    const problem = this.receiveProblem(deviceId, stage);
    if (problem) return { result: { ok: false, reason: problem }, effects: [] };
    const result = this.deliver(deviceId, stage, payload);
    if (!result.ok) return { result, effects: [] };
    this.answered.add(deviceId);
    return { result, effects: await this.closeIfNobodyPending() };
  }

  /** A device disconnected: the open stage stops waiting for it. */
  async deviceLeft(deviceId: string): Promise<SecureRoundEffect[]> {
    if (!this.selected.has(deviceId)) return [];
    this.gone.add(deviceId);
    return this.closeIfNobodyPending();
  }

  async tick(now: number): Promise<SecureRoundEffect[]> {
    if (!isStage(this.state) || now < this.deadlines[this.state]) return [];
    return this.close('deadline');
  }

  private receiveProblem(deviceId: string, stage: SecureStage): string | null {
    const { round } = this.options;
    if (!this.selected.has(deviceId)) return `this device was not selected for round ${round}`;
    if (this.state === 'aborted') return `secure aggregation of round ${round} was called off, so this message was not counted; the round will be redone`;
    const at = this.state === 'unmasking' || this.state === 'finished' ? SECAGG_STAGES.length : SECAGG_STAGES.indexOf(this.state);
    const sent = SECAGG_STAGES.indexOf(stage);
    if (sent < at) return `the ${stage} stage of round ${round} had closed when this device answered, so its answer was not counted; it sits this round out`;
    if (sent > at) return `round ${round} is at the ${this.state} stage, so a ${stage} message is too early and was ignored`;
    return null;
  }

  private deliver(deviceId: string, stage: SecureStage, payload: unknown): Acceptance {
    switch (stage) {
      case 'advertise':
        return this.server.receiveAdvertisement(deviceId, payload);
      case 'share-keys':
        return this.server.receiveShares(deviceId, payload);
      case 'masked-input': {
        const accepted = this.server.receiveMaskedInput(deviceId, payload);
        if (accepted.ok && this.options.observe) this.options.observe({ kind: 'masked', deviceId, words: maskedWords(payload) });
        return accepted;
      }
      case 'unmask':
        return this.server.receiveUnmaskShares(deviceId, payload);
      default:
        return stage satisfies never;
    }
  }

  private pending(): string[] {
    return [...this.expected].filter((id) => !this.answered.has(id) && !this.gone.has(id));
  }

  private async closeIfNobodyPending(): Promise<SecureRoundEffect[]> {
    return isStage(this.state) && this.pending().length === 0 ? this.close('all-answered') : [];
  }

  private async close(closedBy: 'all-answered' | 'deadline'): Promise<SecureRoundEffect[]> {
    const stage = this.state as SecureStage;
    const missing = [...this.expected].filter((id) => !this.answered.has(id)).sort();
    const closed: SecureRoundEffect = { type: 'stageClosed', stage, closedBy, answered: this.answered.size, missing };
    switch (stage) {
      case 'advertise':
        return [closed, ...this.next(stage, 'share-keys', this.server.closeAdvertisements())];
      case 'share-keys':
        return [closed, ...this.next(stage, 'masked-input', this.server.closeShares())];
      case 'masked-input':
        this.contributors = [...this.answered].sort();
        return [closed, ...this.next(stage, 'unmask', this.server.closeMaskedInput())];
      case 'unmask':
        return [closed, ...(await this.finish())];
      default:
        return stage satisfies never;
    }
  }

  private next<S extends SecureStage>(closed: SecureStage, stage: S, requests: SecAggResult<Map<string, StageRequests[S]>>): SecureRoundEffect[] {
    if (!requests.ok) return [this.abort(closed, requests.reason)];
    this.state = stage;
    this.expected = new Set(requests.value.keys());
    this.answered = new Set();
    return [{ type: 'askDevices', stage, deadline: this.deadlines[stage], requests: requests.value } as AskDevices];
  }

  private async finish(): Promise<SecureRoundEffect[]> {
    // Messages arriving while the masks are removed find the round closed.
    this.state = 'unmasking';
    const outcome = await this.server.finish();
    if (!outcome.ok) return [this.abort('unmask', outcome.reason)];
    this.state = 'finished';
    this.options.observe?.({ kind: 'sum', words: outcome.value.sum });
    const { mean, totalWeight, sum } = outcome.value;
    return [{ type: 'finished', mean, contributors: this.contributors, totalWeight, sum }];
  }

  private abort(stage: SecureStage, reason: string): SecureRoundEffect {
    this.state = 'aborted';
    return { type: 'aborted', stage, reason };
  }
}

function isStage(state: RoundState): state is SecureStage {
  return (SECAGG_STAGES as readonly string[]).includes(state);
}

/** The words of a masked input the server has accepted (so it parses); copied, since its bytes need not be 4-aligned. */
function maskedWords(payload: unknown): Uint32Array {
  const masked = SecAggMaskedInput.parse(payload).masked;
  return new Uint32Array(masked.slice().buffer);
}
