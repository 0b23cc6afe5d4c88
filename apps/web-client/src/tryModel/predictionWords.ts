/** A prediction in words for a person: "looks like a 7 (92% sure); next: 1 (4%), 9 (2%)". */
export interface PredictionWords {
  /** "a ", "an " or nothing, before the class name. */
  article: string;
  name: string;
  /** "(92% sure)". */
  sure: string;
  /** "; next: 1 (4%), 9 (2%)" for the runners-up worth naming (1% or more), else empty. */
  next: string;
  /** Whether the model got a labelled example right, in a sentence; null for a drawing. */
  verdict: string | null;
}

const RUNNERS_UP = 2;
const WORTH_NAMING = 0.01;

export function predictionWords(probabilities: number[], names: string[], truth: number | null): PredictionWords {
  const ranked = probabilities.map((p, i) => ({ p, name: names[i] ?? `class ${i}` })).sort((a, b) => b.p - a.p);
  const best = ranked[0]!;
  const runnersUp = ranked.slice(1, 1 + RUNNERS_UP).filter((r) => r.p >= WORTH_NAMING);
  const truthName = truth === null ? null : (names[truth] ?? `class ${truth}`);
  return {
    article: articleFor(best.name),
    name: best.name,
    sure: `(${percent(best.p)} sure)`,
    next: runnersUp.length ? `; next: ${runnersUp.map((r) => `${r.name} (${percent(r.p)})`).join(', ')}` : '',
    verdict: truthName === null ? null : `It is labelled ${truthName}: the model is ${truthName === best.name ? 'right' : 'wrong'}.`,
  };
}

/** Digits read as nouns ("a 7", "an 8"); class names such as "red" or "Sneaker" read as they are. */
function articleFor(name: string): string {
  if (!/^\d+$/.test(name)) return '';
  return /^(8|11|18)/.test(name) && !/^1[0-9]{2}/.test(name) ? 'an ' : 'a ';
}

function percent(p: number): string {
  const value = p * 100;
  return `${value >= 10 || value === 0 ? Math.round(value) : value.toFixed(1)}%`;
}
