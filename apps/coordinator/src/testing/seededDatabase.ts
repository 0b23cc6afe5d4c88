import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;
const PGLITE_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }).version;
/** One freshly initialised cluster per PGlite version, shared by every test file and run on this machine. */
const TEMPLATE = join(tmpdir(), `flock-test-pglite-${PGLITE_VERSION}`);

let template: Promise<string> | undefined;

/**
 * Puts a fresh, empty PGlite cluster in `dataDir/pg`, as a coordinator's first start would (initdb, no schema yet: the
 * coordinator still migrates it), by copying one made once: initdb takes 10-20 s on a busy 2-core machine, a copy
 * under a second. For tests that start coordinators on new data directories and are not about that first start.
 */
export async function seedDatabase(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await cp(await templateCluster(), join(dataDir, 'pg'), { recursive: true });
}

function templateCluster(): Promise<string> {
  template ??= existsSync(TEMPLATE) ? Promise.resolve(TEMPLATE) : makeTemplate();
  return template;
}

/** initdb into a scratch folder, then renamed into place: test files in other workers may be making it at the same time. */
async function makeTemplate(): Promise<string> {
  const scratch = await mkdtemp(`${TEMPLATE}-making-`);
  const script = `const { PGlite } = await import('@electric-sql/pglite'); await (await PGlite.create(${JSON.stringify(scratch)})).close();`;
  await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT });
  try {
    await rename(scratch, TEMPLATE);
  } catch (err) {
    // Another worker renamed its copy first; theirs is as good.
    if (!existsSync(TEMPLATE)) throw err;
    await rm(scratch, { recursive: true, force: true });
  }
  return TEMPLATE;
}
