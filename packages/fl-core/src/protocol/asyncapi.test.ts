import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { protocolDocument } from './asyncapi.ts';
import { PROTOCOL_VERSION } from './device.ts';
import { DEVICE_EVENTS } from './events.ts';

const COMMITTED = new URL('../../../../docs/protocol/asyncapi.json', import.meta.url);

describe('the protocol document', () => {
  const doc = protocolDocument() as {
    info: { version: string };
    operations: Record<string, { action: string; messages: { $ref: string }[]; reply?: unknown }>;
    components: { messages: Record<string, { name: string; payload: { schema: { properties: Record<string, Record<string, unknown>> } } }> };
  };

  it('is the committed docs/protocol/asyncapi.json', () => {
    const committed: unknown = JSON.parse(readFileSync(COMMITTED, 'utf8'));
    expect(committed, 'docs/protocol/asyncapi.json is stale: run `npm run protocol:doc` and commit the file').toEqual(doc);
  });

  it('names the protocol version and every event a device sends, each acknowledged', () => {
    expect(doc.info.version).toBe(String(PROTOCOL_VERSION));
    const sent = Object.values(doc.operations).filter((o) => o.action === 'send');
    expect(sent.map((o) => doc.components.messages[o.messages[0]!.$ref.split('/').pop()!]!.name)).toEqual([...DEVICE_EVENTS]);
    expect(sent.every((o) => o.reply)).toBe(true);
  });

  it('describes binary fields as bytes, not as an empty schema', () => {
    expect(doc.components.messages.update!.payload.schema.properties.payload).toMatchObject({ type: 'string', contentEncoding: 'binary' });
    expect(doc.components.messages['update.chunk']!.payload.schema.properties.data).toMatchObject({ contentEncoding: 'binary' });
  });
});
