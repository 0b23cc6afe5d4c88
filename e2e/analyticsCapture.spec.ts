import { quantileOf, type AnalyticsQuery, type QueryResult } from '@flock/fl-core/analytics';
import { testFederationConfig } from '@flock/fl-core/testing';
import { expect, test, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import { adminHeaders } from './support/coordinator.ts';
import { csvFile, CSV_CLASSES } from './support/syntheticCsv.ts';

const FEDERATION = 'analytics-capture';
type Row = readonly [f1: number, f2: number, f3: number, f4: number, species: string];

// Feature values with four decimals that no counter, id or timestamp in a frame can spell by chance; f4 holds codes
// for frequent-values. Blue is held by one tab only, and 141.4214 by none: k = 2 must hide both.
const TABS: readonly (readonly Row[])[] = [
  [
    [123.4567, 987.6543, 211.3579, 271.8281, 'red'],
    [234.5671, 876.5437, 433.1357, 314.1593, 'red'],
    [345.6781, 765.4329, 655.9135, 271.8281, 'green'],
    [456.7813, 654.3297, 877.7913, 161.8034, 'red'],
  ],
  [
    [567.8129, 543.2971, 299.2468, 314.1593, 'green'],
    [678.9123, 432.9713, 511.4682, 271.8281, 'green'],
    [789.1237, 329.7135, 733.6824, 314.1593, 'red'],
  ],
  [
    [891.2371, 297.1359, 155.8642, 271.8281, 'red'],
    [912.3719, 971.3597, 377.0864, 314.1593, 'blue'],
    [132.7193, 713.5971, 599.4286, 161.8034, 'blue'],
    [243.9175, 135.9717, 811.6428, 161.8034, 'red'],
    [354.1759, 359.7173, 922.2846, 271.8281, 'green'],
  ],
];
const ROWS = TABS.flat();
const CODES = [271.8281, 314.1593, 161.8034, 141.4214];
const RANGE = { low: 0, high: 1000, bins: 4 };
const CENTRE = (RANGE.low + RANGE.high) / 2;
const EDGES = [0, 200, 400, 600, 800, 1000];

// Every kind; the confusion matrix is of the federation's initial model, which each tab pulls and runs in its worker.
const QUERIES: AnalyticsQuery[] = [
  { kind: 'label-histogram' },
  {
    kind: 'column-stats',
    columns: [
      { name: 'f1', ...RANGE },
      { name: 'f2', ...RANGE },
    ],
  },
  { kind: 'quantiles', column: 'f3', edges: EDGES, quantiles: [0.5, 0.9] },
  { kind: 'frequent-values', k: 2 },
  { kind: 'frequent-values', column: 'f4', values: CODES, k: 2 },
  { kind: 'confusion-matrix' },
].map((q) => ({ ...q, privacy: { minDevices: 2 }, deadlineMs: 20_000 }) as AnalyticsQuery);

/**
 * What a frame may not hold: each value as imported and, for the summed columns, its float32 offset from the range's
 * centre, as text to four decimals; and each value's bytes as float32 and float64, should a frame be binary.
 */
function exampleNeedles(): { name: string; bytes: Buffer }[] {
  const fourDecimals = (x: number) => {
    const text = String(Math.abs(x));
    return text.slice(0, text.indexOf('.') + 5);
  };
  const texts = ROWS.flatMap(([f1, f2, f3, f4]) => [f1, f2, f3, f4].map(fourDecimals));
  for (const [f1, f2] of ROWS) texts.push(fourDecimals(Math.fround(f1) - CENTRE), fourDecimals(Math.fround(f2) - CENTRE));
  const needles = [...new Set(texts)].map((text) => ({ name: text, bytes: Buffer.from(text, 'latin1') }));
  for (const v of new Set(ROWS.flatMap(([f1, f2, f3, f4]) => [f1, f2, f3, f4]))) {
    needles.push({ name: `${v} as float32`, bytes: Buffer.from(Float32Array.of(v).buffer) });
    needles.push({ name: `${v} as float64`, bytes: Buffer.from(Float64Array.of(Math.fround(v)).buffer) });
  }
  return needles;
}

/** The results the pooled rows give, worked out here from the rows (the tabs store features as float32). */
function pooledTruth(): Record<string, unknown>[] {
  const labelCounts = CSV_CLASSES.map((c) => ROWS.filter((r) => r[4] === c).length);
  const holders = (has: (row: Row) => boolean) => TABS.filter((rows) => rows.some(has)).length;
  const columnSummary = (name: string, column: 0 | 1) => {
    const xs = ROWS.map((r) => Math.fround(r[column]));
    const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
    const bins = Array<number>(RANGE.bins + 2).fill(0);
    for (const x of xs) bins[1 + Math.min(RANGE.bins - 1, Math.floor(((x - RANGE.low) / (RANGE.high - RANGE.low)) * RANGE.bins))]!++;
    // Min and max are only known as the first and last of the (inner, here) ranges holding a value.
    const width = (RANGE.high - RANGE.low) / RANGE.bins;
    const range = (slot: number) => ({ from: RANGE.low + (slot - 1) * width, to: RANGE.low + slot * width });
    return {
      name,
      mean: expect.closeTo(mean, 6),
      variance: expect.closeTo(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length, 4),
      bins,
      min: range(bins.findIndex((n) => n > 0)),
      max: range(bins.length - 1 - [...bins].reverse().findIndex((n) => n > 0)),
    };
  };
  const f3Bins = Array<number>(EDGES.length + 1).fill(0);
  for (const [, , f3] of ROWS) f3Bins[EDGES.findIndex((edge) => Math.fround(f3) < edge)]!++;
  const byCount = (a: { count: number }, b: { count: number }) => b.count - a.count;
  return [
    { kind: 'label-histogram', classes: CSV_CLASSES, counts: labelCounts, devices: 3 },
    { kind: 'column-stats', count: ROWS.length, columns: [columnSummary('f1', 0), columnSummary('f2', 1)], devices: 3 },
    { kind: 'quantiles', column: 'f3', count: ROWS.length, bins: f3Bins, quantiles: [0.5, 0.9].map((q) => quantileOf(q, f3Bins, EDGES)), devices: 3 },
    {
      kind: 'frequent-values',
      column: 'species',
      k: 2,
      values: CSV_CLASSES.map((value, i) => ({ value, count: labelCounts[i]!, devices: holders((r) => r[4] === value) }))
        .filter((v) => v.devices >= 2)
        .sort(byCount),
      devices: 3,
    },
    {
      kind: 'frequent-values',
      column: 'f4',
      k: 2,
      values: CODES.map((value) => ({ value, count: ROWS.filter((r) => r[3] === value).length, devices: holders((r) => r[3] === value) }))
        .filter((v) => v.devices >= 2)
        .sort(byCount),
      devices: 3,
    },
    // Which label the model predicts is the model's business (the integration test checks the counts exactly); each row holds that label's examples.
    { kind: 'confusion-matrix', classes: CSV_CLASSES, matrix: expect.any(Array), accuracy: expect.any(Number), modelRound: 0, devices: 3 },
  ];
}

interface Tab {
  page: Page;
  /** Every WebSocket frame and request body the tab sent. */
  sent: Buffer[];
}

async function openTab(browser: Browser, rows: readonly Row[], name: string): Promise<Tab> {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (err) => console.log(`[${name}] page error: ${err.message}`));
  const sent: Buffer[] = [];
  page.on('websocket', (ws) => ws.on('framesent', ({ payload }) => sent.push(typeof payload === 'string' ? Buffer.from(payload) : payload)));
  // Were the socket to fall back to long polling, what it says would leave in request bodies.
  page.on('request', (request) => {
    const body = request.postDataBuffer();
    if (body) sent.push(body);
  });
  await page.goto(`/?federation=${FEDERATION}&backend=cpu`);
  const csv = ['f1,f2,f3,f4,species', ...rows.map((r) => r.join(','))].join('\n');
  await page.getByTestId('import-file').setInputFiles(csvFile(`${name}.csv`, csv));
  await expect(page.getByTestId('own-examples')).toHaveText(String(rows.length));
  // Enabled once the tab has its device id and its engine started.
  await expect(page.getByTestId('join'), `${name} gets its device id and starts its engine`).toBeEnabled({ timeout: 60_000 });
  await page.getByTestId('join').click();
  await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 30_000 });
  return { page, sent };
}

/** The query ids of the `query:answer` events among Socket.IO frames (`42<ack id>["query:answer",{...}]`). */
function answeredQueryIds(frames: readonly Buffer[]): string[] {
  return frames.flatMap((frame) => {
    const packet = /^42\d*(\[.*\])$/s.exec(frame.toString());
    if (!packet) return [];
    const [event, body] = JSON.parse(packet[1]!) as [string, { queryId?: string }];
    return event === 'query:answer' && body.queryId ? [body.queryId] : [];
  });
}

async function submitAndWait(request: APIRequestContext, query: AnalyticsQuery): Promise<{ id: string; answered: number; result: QueryResult }> {
  const submitted = await request.post(`/api/federations/${FEDERATION}/queries`, { headers: adminHeaders, data: query });
  expect(submitted.status(), await submitted.text()).toBe(201);
  const { id } = (await submitted.json()) as { id: string };
  let record: { id: string; status: string; reason: string | null; answered: number; result: QueryResult } | undefined;
  await expect
    .poll(
      async () => {
        record = await (await request.get(`/api/federations/${FEDERATION}/queries/${id}`, { headers: adminHeaders })).json();
        return record!.status === 'refused' ? `refused: ${record!.reason}` : record!.status;
      },
      { timeout: 25_000, intervals: [200] },
    )
    .toBe('done');
  return record!;
}

test('three tabs answer every query kind with the pooled truth, and no frame they send holds an example value', async ({ browser, request }) => {
  test.setTimeout(90_000);
  const created = await request.post('/api/federations', {
    headers: adminHeaders,
    data: testFederationConfig({
      id: FEDERATION,
      name: 'analytics capture',
      model: 'tabular-mlp',
      dataset: { kind: 'device', schema: { type: 'csv', features: ['f1', 'f2', 'f3', 'f4'], label: 'species', classes: CSV_CLASSES }, testFraction: 0.25 },
      training: { epochs: 1, batchSize: 4, learningRate: 0.1 },
      maxRounds: 1,
      minDevices: 2,
      evalExamples: 1,
      modelSeed: 1,
    }),
  });
  expect(created.status(), await created.text()).toBe(201);

  // Not started: the tabs only hold their rows and answer queries.
  const tabs = await Promise.all(TABS.map((rows, i) => openTab(browser, rows, `tab${i}`)));

  const records = [];
  for (const query of QUERIES) records.push(await submitAndWait(request, query));
  expect(records.map((r) => r.answered)).toEqual(QUERIES.map(() => 3));
  expect(records.map((r) => r.result)).toEqual(pooledTruth());
  const { matrix } = records.at(-1)!.result as Extract<QueryResult, { kind: 'confusion-matrix' }>;
  expect(matrix.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(CSV_CLASSES.map((c) => ROWS.filter((r) => r[4] === c).length));
  // The device page lists the counts that left, a line per true label.
  await expect(tabs[0]!.page.getByTestId('answered-numbers').first()).toHaveText(/^\d+, \d+, \d+\n\d+, \d+, \d+\n\d+, \d+, \d+$/);

  // (a) Each tab sent one answer per query, over the socket.
  const ids = records.map((r) => r.id);
  for (const tab of tabs) expect(answeredQueryIds(tab.sent).sort()).toEqual([...ids].sort());

  // (b) No example value (nor a single value's offset, which the sums would otherwise betray) in anything a tab sent.
  const needles = exampleNeedles();
  const leaks = tabs.flatMap((tab, i) =>
    tab.sent.flatMap((frame) => needles.filter((n) => frame.includes(n.bytes)).map((n) => `tab ${i} sent ${n.name}: ${frame.toString().slice(0, 300)}`)),
  );
  expect(leaks).toEqual([]);
  // The capture did see the tabs' traffic: the answers above, and the hello each sent on joining.
  for (const tab of tabs) expect(tab.sent.length).toBeGreaterThan(QUERIES.length);
});
