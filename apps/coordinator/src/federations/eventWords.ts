import type { RoundAbandonedMessage, RoundRecord } from '@flock/fl-core';
import type { SecAggStage } from '@flock/fl-core/secagg';
import type { EngineEffect } from '../rounds/engineEffects.ts';
import type { RoundClosed } from './roundRecord.ts';

/** The event log's sentences about rounds and devices, in words for the operator (what happened, what happens next). */

/** "3 devices", "1 device". */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A device's first hello: with a training shard the coordinator assigned, or with examples it brings itself. */
export function deviceJoinedText(device: { shardIndex: number; examples: number }, shardCount: number): string {
  const examples = countOf(device.examples, 'example');
  if (device.shardIndex < 0) return `device joined with its own data (${examples})`;
  return `device joined and was given training shard ${device.shardIndex + 1} of ${shardCount} (${examples})`;
}

export function roundStartedText(round: number, devices: number): string {
  return `round ${round}: model sent to ${countOf(devices, 'device')}`;
}

export function roundClosedText(e: RoundClosed, record: RoundRecord): string {
  const accuracy = record.accuracy === null ? 'not evaluated' : `accuracy ${(record.accuracy * 100).toFixed(1)}%`;
  const how =
    e.closedBy === 'deadline'
      ? 'at its deadline'
      : e.closedBy === 'buffer-full'
        ? `with a full buffer (mean staleness ${e.meanStaleness.toFixed(2)})`
        : 'with every selected device';
  return `round ${e.round} closed ${how}: ${countOf(record.participants, 'device')}, ${countOf(record.examples, 'example')}, ${accuracy}`;
}

type RoundAbandoned = Extract<EngineEffect, { type: 'roundAbandoned' }>;

/** Why the round was called off, what became of the updates already in, and what happens to the round now. */
export function roundAbandonedText(e: RoundAbandoned, next: RoundAbandonedMessage['next'], minDevices: number): string {
  const updates =
    e.answered === 0
      ? `none of its ${countOf(e.selected, 'selected device')} had sent an update`
      : `the updates already in (${e.answered} of ${e.selected}) are discarded`;
  return `round ${e.round} called off: ${e.reason}; ${updates}; ${NEXT[next](minDevices)}`;
}

const NEXT: Record<RoundAbandonedMessage['next'], (minDevices: number) => string> = {
  'redone-now': (minDevices) => `it starts again with a fresh selection as soon as ${minDevices === 1 ? 'a device is' : `${minDevices} devices are`} online`,
  'redone-on-resume': () => 'it is trained again from the start when the federation resumes',
  never: () => 'it will not be trained again',
};

export function roundExtendedText(e: Extract<EngineEffect, { type: 'roundExtended' }>, now: number): string {
  const seconds = Math.max(1, Math.round((e.deadline - now) / 1000));
  return `round ${e.round} had ${e.answered} of ${countOf(e.selected, 'update')} at its deadline, too few to close: waiting ${seconds} s more for the others`;
}

const STAGE_DONE: Record<SecAggStage, string> = {
  advertise: 'advertised their keys',
  'share-keys': 'shared their keys with their neighbours',
  'masked-input': 'sent their masked updates',
  unmask: 'sent the shares that remove the masks',
};

/** One secure-aggregation stage closed: how many devices did their part, and who did not (they count as dropped). */
export function secureStageClosedText(
  round: number,
  e: { stage: SecAggStage; closedBy: 'all-answered' | 'deadline'; answered: number; missing: string[] },
): string {
  const done = `round ${round}, secure aggregation: ${countOf(e.answered, 'device')} ${STAGE_DONE[e.stage]}`;
  if (e.missing.length === 0) return done;
  const late = e.closedBy === 'deadline' ? 'did not answer by the stage’s deadline' : 'left';
  return `${done}; ${countOf(e.missing.length, 'device')} ${late} and ${e.missing.length === 1 ? 'counts' : 'count'} as dropped from here on`;
}
