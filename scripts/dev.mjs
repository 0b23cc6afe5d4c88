// `npm run dev`: the coordinator (restarted on change by tsx watch) behind Vite's dev server (hot reload).
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const coordinatorPort = process.env.FLOCK_COORDINATOR_PORT ?? '3001';
const env = { ...process.env, FLOCK_COORDINATOR_PORT: coordinatorPort };
const children = [
  spawn('npx', ['tsx', 'watch', 'apps/coordinator/src/main.ts'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...env, PORT: coordinatorPort },
  }),
  spawn('npx', ['vite', '--port', process.env.PORT ?? '3000'], { cwd: root, stdio: 'inherit', env }),
];
const stop = () => children.forEach((c) => c.kill('SIGTERM'));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, stop);
for (const c of children)
  c.on('exit', (code) => {
    stop();
    process.exitCode = code ?? 0;
  });
