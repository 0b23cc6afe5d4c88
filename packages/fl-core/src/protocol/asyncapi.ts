import { z } from 'zod';
import { QueryAnswerMessage, QueryAskMessage } from '../analytics/messages.ts';
import { FederationConfig } from '../config/federation.ts';
import { SecAggAdvertisement, SecAggMaskedInput, SecAggRequestMessage, SecAggShares, SecAggStage, SecAggUnmaskShares } from '../secagg/messages.ts';
import { ModelChunkReply, ModelChunkRequest, RoundStartAnnouncement } from './chunkedDownloadMessages.ts';
import { ChunkAck, UpdateBeginMessage, UpdateChunkMessage } from './chunkedUploadMessages.ts';
import {
  Ack,
  BinaryPayload,
  CoordinatorClosingMessage,
  FederationStatusMessage,
  FinalEvaluationMessage,
  FinalModelMessage,
  HelloMessage,
  HelloReply,
  PROTOCOL_VERSION,
  ProtocolErrorMessage,
  RoundAbandonedMessage,
  StatusMessage,
  UpdateMessage,
  UploadedModelId,
} from './device.ts';
import { DEVICE_EVENTS, type CoordinatorToDeviceEvents, type DeviceEvent } from './events.ts';

/**
 * The device protocol as an AsyncAPI 3.0 document, generated from the schemas the coordinator parses every message with:
 * `GET /api/protocol` serves it and `docs/protocol/asyncapi.json` keeps a copy (`npm run protocol:doc` writes it; a test
 * fails when the copy is stale). The prose beside it: docs/protocol/README.md and binary-formats.md.
 */

const BINARY_FORMATS = 'docs/protocol/binary-formats.md';

interface EventDoc {
  summary: string;
  payload: z.ZodType;
  /** The Socket.IO acknowledgement the sender waits for; absent: the event is not acknowledged. */
  reply?: z.ZodType;
}

/**
 * What `secagg:answer` carries per stage. The socket checks only the envelope (SecAggAnswerMessage); the coordinator's
 * SecAggServer then parses the answer with the stage's schema, which this union names for a client's author.
 */
const SecAggAnswerByStage = z.discriminatedUnion('stage', [
  z.object({ stage: z.literal(SecAggStage.enum.advertise), answer: SecAggAdvertisement }),
  z.object({ stage: z.literal(SecAggStage.enum['share-keys']), answer: SecAggShares }),
  z.object({ stage: z.literal(SecAggStage.enum['masked-input']), answer: SecAggMaskedInput }),
  z.object({ stage: z.literal(SecAggStage.enum.unmask), answer: SecAggUnmaskShares }),
]);

const SENT: Record<DeviceEvent, EventDoc> = {
  hello: {
    summary: 'Join (or rejoin) a federation on this connection; every other event needs an accepted hello first.',
    payload: HelloMessage,
    reply: HelloReply,
  },
  status: {
    summary: 'What the device is doing now (shown on the dashboard). The acknowledgement is optional: without one, a refusal comes as protocol:error.',
    payload: StatusMessage,
    reply: Ack,
  },
  update: { summary: "The round's update in one message; a larger one goes as update:begin and update:chunk.", payload: UpdateMessage, reply: Ack },
  'update:begin': { summary: 'Starts (or resumes) a chunked update: everything but the payload, and its size.', payload: UpdateBeginMessage, reply: ChunkAck },
  'update:chunk': { summary: "One slice of a chunked update's payload, from the offset the last ack named.", payload: UpdateChunkMessage, reply: ChunkAck },
  'model:chunk': {
    summary: "Pulls one slice of a round's model when round:start carried a download descriptor.",
    payload: ModelChunkRequest,
    reply: ModelChunkReply,
  },
  'evaluation:final': { summary: "The device's score of the final model (model:final) on its held-out examples.", payload: FinalEvaluationMessage, reply: Ack },
  'secagg:answer': { summary: "Secure aggregation: the device's answer to one stage's secagg:request.", payload: SecAggAnswerByStage, reply: Ack },
  'query:answer': { summary: "Federated analytics: the device's answer vector to a query:ask.", payload: QueryAnswerMessage, reply: Ack },
};

const RECEIVED: Record<keyof CoordinatorToDeviceEvents, EventDoc> = {
  'round:start': {
    summary: 'Train this round: the model inline (weights) or to pull with model:chunk (download), the training config and codec.',
    payload: RoundStartAnnouncement,
  },
  'federation:status': { summary: "The federation's status, round and accuracy, sent to every device on each change.", payload: FederationStatusMessage },
  'round:abandoned': { summary: 'The coordinator called a round off; `next` says whether it is redone.', payload: RoundAbandonedMessage },
  'model:final': { summary: 'The federation finished: its final model, to score on held-out examples (evaluation:final).', payload: FinalModelMessage },
  'protocol:error': { summary: 'A message without an acknowledgement callback was refused: which event, and why.', payload: ProtocolErrorMessage },
  'coordinator:closing': { summary: 'The coordinator is about to close every connection: reconnect and resume.', payload: CoordinatorClosingMessage },
  'secagg:request': { summary: 'Secure aggregation: one stage asks for this device’s part by its deadline.', payload: SecAggRequestMessage },
  'query:ask': { summary: 'Federated analytics: answer this query from the device’s examples (query:answer).', payload: QueryAskMessage },
};

type JsonSchema = Record<string, unknown>;

/** Binary fields as they travel: Socket.IO binary attachments, which a client sends and receives as raw bytes. */
const BINARY_SCHEMA: JsonSchema = {
  type: 'string',
  contentEncoding: 'binary',
  description: `Raw bytes, sent as a Socket.IO binary attachment (Buffer in Node, ArrayBuffer in browsers, bytes in Python). Model weights and updates use the FLKW format: ${BINARY_FORMATS}.`,
};

const BINARY_OPTIONS: readonly unknown[] = BinaryPayload.in.options;
const UPLOADED_MODEL_PATTERN = '^uploaded-[0-9a-f]{12}$';

/** JSON Schema (draft 2020-12) of what a peer sends: the schema's input side, before any transform. */
export function wireJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    io: 'input',
    // Custom checks come out empty, and are described here; one not known here stops the build below.
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      // BinaryPayload's union of two `instanceof` checks is one thing on the wire: bytes.
      if (zodSchema === BinaryPayload.in) replace(jsonSchema, BINARY_SCHEMA);
      else if (zodSchema === UploadedModelId) replace(jsonSchema, { type: 'string', pattern: UPLOADED_MODEL_PATTERN });
      else if (zodSchema._zod.def.type === 'custom' && !BINARY_OPTIONS.includes(zodSchema)) {
        throw new Error('a message field has a custom check that JSON Schema cannot express: describe it in protocol/asyncapi.ts');
      }
    },
  });
  return json;
}

function replace(target: JsonSchema, value: JsonSchema): void {
  for (const key of Object.keys(target)) delete target[key];
  Object.assign(target, value);
}

/** AsyncAPI component keys allow letters, digits, `.`, `-` and `_`: `update:begin` becomes `update.begin`. */
const keyOf = (event: string) => event.replaceAll(':', '.');

const JSON_SCHEMA_FORMAT = 'application/schema+json;version=draft-2020-12';
const CHANNEL = { $ref: '#/channels/device' };
const messageRef = (key: string) => ({ $ref: `#/channels/device/messages/${key}` });

function message(name: string, summary: string, schema: z.ZodType): JsonSchema {
  return { name, summary, contentType: 'application/json', payload: { schemaFormat: JSON_SCHEMA_FORMAT, schema: wireJsonSchema(schema) } };
}

/** A GET route as an OpenAPI 3.1 operation. */
interface RestRoute {
  summary: string;
  /** Who may call it: see docs/protocol/README.md, Credentials. */
  auth: 'none' | 'member' | 'device credential';
  parameters: string[];
  response: { contentType: string; schema: JsonSchema; description: string };
}

const HealthReply = z.object({ ok: z.literal(true), version: z.string(), protocolVersion: z.number().int() });
const FederationDataset = FederationConfig.pick({ id: true, name: true, model: true, dataset: true });

const REST: Record<string, RestRoute> = {
  '/api/health': {
    summary: "The coordinator's version and the protocolVersion its hello accepts.",
    auth: 'none',
    parameters: [],
    response: { contentType: 'application/json', schema: wireJsonSchema(HealthReply), description: 'Up.' },
  },
  '/api/protocol': {
    summary: 'This document.',
    auth: 'none',
    parameters: [],
    response: { contentType: 'application/json', schema: { type: 'object' }, description: 'The AsyncAPI 3.0 document.' },
  },
  '/api/federations/{id}/dataset': {
    summary: 'What the federation trains on (model, dataset schema): a device bringing its own data checks it against this before hello.',
    auth: 'none',
    parameters: ['id'],
    response: { contentType: 'application/json', schema: wireJsonSchema(FederationDataset), description: 'The federation’s model and dataset.' },
  },
  '/api/federations/{id}/shard/{deviceId}': {
    summary: 'The shard hello assigned (dataset.kind `mnist-shard`, at its shardPath), fetched once, with the device credential as bearer token.',
    auth: 'device credential',
    parameters: ['id', 'deviceId'],
    response: {
      contentType: 'application/octet-stream',
      schema: { ...BINARY_SCHEMA, description: `An FLKD dataset: ${BINARY_FORMATS}#flkd-datasets.` },
      description: 'The shard.',
    },
  },
  '/api/federations/{id}/model.flkw': {
    summary: "The latest stored global model as one FLKW file (header x-flock-round: its round). An open federation's model is public.",
    auth: 'member',
    parameters: ['id'],
    response: {
      contentType: 'application/octet-stream',
      schema: { ...BINARY_SCHEMA, description: `FLKW weights: ${BINARY_FORMATS}#flkw-weights.` },
      description: 'The model.',
    },
  },
  '/api/models/{id}/model.json': {
    summary: 'An uploaded model’s tfjs LayersModel topology: devices build the model a federation with an uploaded-… model trains from it.',
    auth: 'none',
    parameters: ['id'],
    response: { contentType: 'application/json', schema: { type: 'object' }, description: 'tfjs model.json (modelTopology and weightsManifest).' },
  },
};

const AUTH_WORDS: Record<RestRoute['auth'], string> = {
  none: 'none',
  member: 'an open federation: none; an enrollment-only one: Authorization: Bearer <enrollment token or device credential>',
  'device credential': 'Authorization: Bearer <the device credential the hello reply gave>',
};

function restPaths(): JsonSchema {
  return Object.fromEntries(
    Object.entries(REST).map(([path, route]) => [
      path,
      {
        get: {
          summary: route.summary,
          'x-auth': AUTH_WORDS[route.auth],
          parameters: route.parameters.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
          responses: {
            200: { description: route.response.description, content: { [route.response.contentType]: { schema: route.response.schema } } },
            default: {
              description: 'A refusal (400, 401, 403, 404, 429): the reason in words.',
              content: { 'application/json': { schema: wireJsonSchema(z.object({ ok: z.literal(false), reason: z.string() })) } },
            },
          },
        },
      },
    ]),
  );
}

/** The AsyncAPI 3.0 document, from the device's side: `send` is device to coordinator, `receive` the other way. */
export function protocolDocument(): JsonSchema {
  const messages: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  const add = (event: string, doc: EventDoc, action: 'send' | 'receive') => {
    const key = keyOf(event);
    messages[key] = message(event, doc.summary, doc.payload);
    const operation: JsonSchema = { action, channel: CHANNEL, summary: doc.summary, messages: [messageRef(key)] };
    if (doc.reply) {
      messages[`${key}.ack`] = message(`${event} (acknowledgement)`, `What the coordinator acknowledges ${event} with.`, doc.reply);
      operation.reply = { channel: CHANNEL, messages: [messageRef(`${key}.ack`)] };
    }
    operations[`${action}.${key}`] = operation;
  };
  for (const event of DEVICE_EVENTS) add(event, SENT[event], 'send');
  for (const [event, doc] of Object.entries(RECEIVED)) add(event, doc, 'receive');

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Flock device protocol',
      version: String(PROTOCOL_VERSION),
      'x-protocol-version': PROTOCOL_VERSION,
      description:
        'How a device (browser tab, Node silo, Python silo) takes part in a Flock federation: Socket.IO v4 events on the ' +
        'default namespace, plus a few HTTP routes (x-rest). Send `protocolVersion` in hello; the coordinator refuses ' +
        'any other. Every acknowledged event answers `{ok: false, reason}` when refused. Prose: docs/protocol/README.md; ' +
        `binary fields: ${BINARY_FORMATS}.`,
    },
    servers: {
      coordinator: {
        host: 'localhost:3000',
        protocol: 'ws',
        pathname: '/socket.io/',
        description: 'Socket.IO v4 (Engine.IO 4) on the coordinator’s HTTP port; the handshake’s `auth.token` is an enrollment token or device credential.',
      },
    },
    defaultContentType: 'application/json',
    channels: {
      device: {
        address: '/',
        title: 'Device namespace',
        description: 'The Socket.IO default namespace. Acknowledged events are emitted with an ack callback; its reply is the `.ack` message.',
        messages: Object.fromEntries(Object.keys(messages).map((key) => [key, { $ref: `#/components/messages/${key}` }])),
      },
    },
    operations,
    components: { messages },
    'x-rest': {
      description: 'HTTP routes a device uses, on the coordinator’s origin, as OpenAPI 3.1 path items (GET only).',
      paths: restPaths(),
    },
  };
}
