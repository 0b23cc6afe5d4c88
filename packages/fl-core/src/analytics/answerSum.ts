import { requireLength } from '../aggregation/vectorMath.ts';

/** The running sum of devices' answers to one query: its memory is one answer, however many devices answer. */
export class AnswerSum {
  readonly sum: Float64Array;
  private count = 0;

  constructor(length: number) {
    this.sum = new Float64Array(length);
  }

  /** Devices whose answers are in the sum. */
  get devices(): number {
    return this.count;
  }

  /** One device's answer, already checked (answerProblem). */
  add(answer: ArrayLike<number>): void {
    requireLength(answer, this.sum.length, 'answer');
    for (let i = 0; i < this.sum.length; i++) this.sum[i]! += answer[i]!;
    this.count++;
  }
}
