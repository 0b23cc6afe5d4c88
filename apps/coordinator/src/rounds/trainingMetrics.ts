/** What the devices said about their own training in one round, each weighted by the examples it trained on. */
export interface RoundTrainingMetrics {
  /** Example-weighted mean of the devices' final local training loss; null when no update came. */
  trainLoss: number | null;
  /** Example-weighted mean of the devices' local training accuracy; null when no update came. */
  trainAccuracy: number | null;
}

/** Sums the devices' reported training metrics as their updates arrive (the round's mean, like the model, weighs by examples). */
export class TrainingMetricsSum {
  private examples = 0;
  private loss = 0;
  private accuracy = 0;

  add(metrics: { loss: number; accuracy: number }, examples: number): void {
    this.examples += examples;
    this.loss += metrics.loss * examples;
    this.accuracy += metrics.accuracy * examples;
  }

  mean(): RoundTrainingMetrics {
    if (this.examples === 0) return { trainLoss: null, trainAccuracy: null };
    return { trainLoss: this.loss / this.examples, trainAccuracy: this.accuracy / this.examples };
  }
}
