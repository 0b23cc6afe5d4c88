// `npm start`: build what is missing, then run the compiled coordinator in this process; it serves
// the device page, the dashboard and the API on one port.
import { ensureCoordinatorBuilt, ensureWebClientBuilt } from './ensure-built.mjs';

await ensureWebClientBuilt();
await ensureCoordinatorBuilt();
await import('../apps/coordinator/dist/main.mjs');
