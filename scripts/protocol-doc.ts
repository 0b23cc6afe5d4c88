// `npm run protocol:doc`: writes the device protocol's AsyncAPI document (packages/fl-core/src/protocol/asyncapi.ts) to
// docs/protocol/asyncapi.json, formatted as `prettier --check` expects. asyncapi.test.ts fails while the copy is stale.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { protocolDocument } from '../packages/fl-core/src/protocol/asyncapi.ts';

const path = fileURLToPath(new URL('../docs/protocol/asyncapi.json', import.meta.url));
const options = { ...(await prettier.resolveConfig(path)), filepath: path };
await writeFile(path, await prettier.format(JSON.stringify(protocolDocument()), options));
console.log(`Wrote ${path}: commit it with the schema change.`);
