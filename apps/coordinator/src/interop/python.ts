import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, where `python-client/` lives. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const PYTHON_CLIENT_DIR = `${REPO_ROOT}python-client`;

const DEBIAN_PYTHON = '/usr/bin/python3';

export interface PythonRun {
  stdout: Buffer;
  stderr: string;
  /** The exit status; null when a signal (or the timeout) ended it. */
  code: number | null;
  timedOut: boolean;
}

export interface PythonRunOptions {
  /** Written to the interpreter's stdin, which is then closed. */
  input?: Buffer | string;
  timeoutMs: number;
  /** Variables added to or overriding the environment. */
  env?: Record<string, string>;
  cwd?: string;
}

let interpreter: string | undefined;

/**
 * FLOCK_PYTHON, else Debian's interpreter when it has numpy (the `python3` on PATH may be a pyenv one without the
 * client's dependencies), else `python3`.
 */
export function pythonInterpreter(): string {
  interpreter ??= process.env.FLOCK_PYTHON ?? (spawnSync(DEBIAN_PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0 ? DEBIAN_PYTHON : 'python3');
  return interpreter;
}

/** The environment a Python process needs to import `flock_client` from this checkout without installing it. */
export function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const path = [PYTHON_CLIENT_DIR, process.env.PYTHONPATH].filter(Boolean).join(':');
  return { ...process.env, PYTHONPATH: path, PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

/** Runs the interpreter with `args` and collects its output; it never rejects for a non-zero exit, check `code`. */
export function runPython(args: readonly string[], { input, timeoutMs, env, cwd = REPO_ROOT }: PythonRunOptions): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(pythonInterpreter(), args, { cwd, env: pythonEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8'), code, timedOut });
    });
    // A script that exits without reading its input closes the pipe; that is its business, not an error here.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** `python -m <module> ...args`. */
export function pythonModule(module: string, args: readonly string[], options: PythonRunOptions): Promise<PythonRun> {
  return runPython(['-m', module, ...args], options);
}
