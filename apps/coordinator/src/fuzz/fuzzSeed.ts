/** A CI run replays one known sequence; elsewhere each run explores new inputs. */
const CI_SEED = 15;

/** FLOCK_FUZZ_SEED, else the fixed seed in CI, else a fresh one; printed so any failure can be replayed. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const chosen = env.FLOCK_FUZZ_SEED ? Number(env.FLOCK_FUZZ_SEED) : env.CI ? CI_SEED : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(chosen)) throw new Error(`FLOCK_FUZZ_SEED must be an integer, got "${env.FLOCK_FUZZ_SEED}"`);
  console.log(`fuzz seed ${chosen} (replay: FLOCK_FUZZ_SEED=${chosen} npx vitest run apps/coordinator/src/fuzz)`);
  return chosen;
}
