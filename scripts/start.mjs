// `npm start`: build what is missing, then run the coordinator, which serves everything on one port.
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
await import('./ensure-built.mjs');
const child = spawn('npx', ['tsx', 'apps/coordinator/src/main.ts'], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
