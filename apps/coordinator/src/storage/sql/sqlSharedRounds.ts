import type { PartialAggregate } from '@flock/fl-core';
import { z } from 'zod';
import type { CoordinatorTraffic, CountedUpdate, FoldOutcome, LeaseFence, RoundTraffic, SealedRound, SharedRound, SharedRoundRepository } from '../store.ts';
import { sumOfPartials } from '../sumOfPartials.ts';
import { bytesOf, bytesOfFloat64, float64Of, type Row } from './rows.ts';
import type { SqlClient, SqlQueries } from './sqlClient.ts';
import { leaseHolds } from './sqlLeases.ts';

const Selected = z.array(z.string());

/**
 * Tables shared_rounds, update_receipts, round_partials and round_traffic. A fold or send share-locks its
 * round's row, so an owner opening the next attempt or ending the round waits for those under way, and
 * one after that finds its attempt gone. Receipts go in by device id and before the partial, so concurrent folds
 * always lock in the same order.
 */
export class SqlSharedRounds implements SharedRoundRepository {
  constructor(private readonly db: SqlClient) {}

  open(round: SharedRound, fence: LeaseFence): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (!(await leaseHolds(tx, round.federationId, fence))) return false;
      await tx.query(
        `insert into shared_rounds (federation_id, round, attempt, selected, deadline, started_at) values ($1, $2, $3, $4, $5, $6)
         on conflict (federation_id) do update
           set round = excluded.round, attempt = excluded.attempt, selected = excluded.selected, deadline = excluded.deadline, started_at = excluded.started_at`,
        [round.federationId, round.round, round.attempt, JSON.stringify(round.selected), round.deadline, round.startedAt],
      );
      await dropFolds(tx, round.federationId);
      return true;
    });
  }

  async current(federationId: string): Promise<SharedRound | null> {
    const { rows } = await this.db.query<Row>('select round, attempt, selected, deadline, started_at from shared_rounds where federation_id = $1', [
      federationId,
    ]);
    const r = rows[0];
    if (!r) return null;
    return {
      federationId,
      round: Number(r.round),
      attempt: String(r.attempt),
      selected: Selected.parse(r.selected),
      deadline: Number(r.deadline),
      startedAt: Number(r.started_at),
    };
  }

  fold(
    federationId: string,
    attempt: string,
    coordinatorId: string,
    items: { update: CountedUpdate; partial: PartialAggregate }[],
  ): Promise<FoldOutcome[] | 'stale'> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>('select round from shared_rounds where federation_id = $1 and attempt = $2 and not sealed for share', [
        federationId,
        attempt,
      ]);
      if (!rows[0]) return 'stale';
      const firsts = firstItemOfEachDevice(items);
      const fresh = [...firsts.values()].map((i) => items[i]!.update).sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
      const inserted = await tx.query<Row>(
        `insert into update_receipts
           (federation_id, round, device_id, attempt, coordinator_id, examples, loss, accuracy, bytes_up, bytes_down, abandoned_bytes_up, abandoned_bytes_down)
         select $1, $2, d, $3, $4, e, l, a, b, bd, au, ad
         from unnest($5::text[], $6::int[], $7::float8[], $8::float8[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[]) as u(d, e, l, a, b, bd, au, ad)
         on conflict do nothing
         returning device_id`,
        [
          federationId,
          Number(rows[0].round),
          attempt,
          coordinatorId,
          fresh.map((u) => u.deviceId),
          fresh.map((u) => u.examples),
          fresh.map((u) => u.loss),
          fresh.map((u) => u.accuracy),
          fresh.map((u) => u.bytesUp),
          fresh.map((u) => u.bytesDown),
          fresh.map((u) => u.abandonedBytesUp),
          fresh.map((u) => u.abandonedBytesDown),
        ],
      );
      const counted = new Set(inserted.rows.map((r) => String(r.device_id)));
      const outcomes = items.map(({ update }, i): FoldOutcome => (firsts.get(update.deviceId) === i && counted.has(update.deviceId) ? 'counted' : 'duplicate'));
      const added = items.filter((_, i) => outcomes[i] === 'counted').map((item) => item.partial);
      if (added.length > 0) await addToPartial(tx, federationId, attempt, coordinatorId, added);
      return outcomes;
    });
  }

  partials(federationId: string, attempt: string): Promise<PartialAggregate[]> {
    return partialsOf(this.db, federationId, attempt);
  }

  receipts(federationId: string, attempt: string): Promise<CountedUpdate[]> {
    return receiptsOf(this.db, federationId, attempt);
  }

  sent(federationId: string, attempt: string, coordinatorId: string, traffic: RoundTraffic): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>('select 1 from shared_rounds where federation_id = $1 and attempt = $2 and not sealed for share', [
        federationId,
        attempt,
      ]);
      if (!rows[0]) return false;
      await tx.query(
        `insert into round_traffic (federation_id, attempt, coordinator_id, bytes_down, abandoned_bytes_up, abandoned_bytes_down) values ($1, $2, $3, $4, $5, $6)
         on conflict (federation_id, attempt, coordinator_id) do update
           set bytes_down = round_traffic.bytes_down + excluded.bytes_down,
               abandoned_bytes_up = greatest(round_traffic.abandoned_bytes_up, excluded.abandoned_bytes_up),
               abandoned_bytes_down = greatest(round_traffic.abandoned_bytes_down, excluded.abandoned_bytes_down)`,
        [federationId, attempt, coordinatorId, traffic.bytesDown, traffic.abandonedBytesUp, traffic.abandonedBytesDown],
      );
      return true;
    });
  }

  seal(federationId: string, attempt: string, fence: LeaseFence): Promise<SealedRound | null> {
    return this.db.transaction(async (tx) => {
      if (!(await leaseHolds(tx, federationId, fence))) return null;
      // Waits for the folds and sends that share-locked the row, and turns away those after.
      await tx.query('update shared_rounds set sealed = true where federation_id = $1 and attempt = $2', [federationId, attempt]);
      return {
        partials: await partialsOf(tx, federationId, attempt),
        receipts: await receiptsOf(tx, federationId, attempt),
        traffic: await trafficOf(tx, federationId, attempt),
      };
    });
  }

  discard(federationId: string, fence: LeaseFence): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (!(await leaseHolds(tx, federationId, fence))) return false;
      await endSharedRound(tx, federationId);
      return true;
    });
  }
}

async function partialsOf(db: SqlQueries, federationId: string, attempt: string): Promise<PartialAggregate[]> {
  const { rows } = await db.query<Row>(
    'select weighted_sum, total_weight, updates from round_partials where federation_id = $1 and attempt = $2 order by coordinator_id',
    [federationId, attempt],
  );
  return rows.map(partialOf);
}

async function receiptsOf(db: SqlQueries, federationId: string, attempt: string): Promise<CountedUpdate[]> {
  const { rows } = await db.query<Row>(
    `select device_id, coordinator_id, examples, loss, accuracy, bytes_up, bytes_down, abandoned_bytes_up, abandoned_bytes_down from update_receipts
     where federation_id = $1 and attempt = $2 order by device_id`,
    [federationId, attempt],
  );
  return rows.map((r) => ({
    deviceId: String(r.device_id),
    coordinatorId: String(r.coordinator_id),
    examples: Number(r.examples),
    loss: Number(r.loss),
    accuracy: Number(r.accuracy),
    bytesUp: Number(r.bytes_up),
    bytesDown: Number(r.bytes_down),
    abandonedBytesUp: Number(r.abandoned_bytes_up),
    abandonedBytesDown: Number(r.abandoned_bytes_down),
  }));
}

async function trafficOf(db: SqlQueries, federationId: string, attempt: string): Promise<CoordinatorTraffic[]> {
  const { rows } = await db.query<Row>(
    `select coordinator_id, bytes_down, abandoned_bytes_up, abandoned_bytes_down from round_traffic
     where federation_id = $1 and attempt = $2 order by coordinator_id`,
    [federationId, attempt],
  );
  return rows.map((r) => ({
    coordinatorId: String(r.coordinator_id),
    bytesDown: Number(r.bytes_down),
    abandonedBytesUp: Number(r.abandoned_bytes_up),
    abandonedBytesDown: Number(r.abandoned_bytes_down),
  }));
}

/** Within the owner's transaction: the federation's shared round, its receipts, partials and traffic go (the round row first, as folds lock it first). */
export async function endSharedRound(tx: SqlQueries, federationId: string): Promise<void> {
  await tx.query('delete from shared_rounds where federation_id = $1', [federationId]);
  await dropFolds(tx, federationId);
}

async function dropFolds(tx: SqlQueries, federationId: string): Promise<void> {
  await tx.query('delete from update_receipts where federation_id = $1', [federationId]);
  await tx.query('delete from round_partials where federation_id = $1', [federationId]);
  await tx.query('delete from round_traffic where federation_id = $1', [federationId]);
}

/** The coordinator's partial (created empty when it has none yet, then row-locked) plus `added`. */
async function addToPartial(tx: SqlQueries, federationId: string, attempt: string, coordinatorId: string, added: PartialAggregate[]): Promise<void> {
  const key = [federationId, attempt, coordinatorId];
  await tx.query(
    `insert into round_partials (federation_id, attempt, coordinator_id, weighted_sum, total_weight, updates) values ($1, $2, $3, $4, 0, 0)
     on conflict do nothing`,
    [...key, new Uint8Array(0)],
  );
  const { rows } = await tx.query<Row>(
    'select weighted_sum, total_weight, updates from round_partials where federation_id = $1 and attempt = $2 and coordinator_id = $3 for update',
    key,
  );
  const stored = partialOf(rows[0]!);
  const sum = sumOfPartials(stored.updates === 0 ? added : [stored, ...added]);
  await tx.query(
    'update round_partials set weighted_sum = $4, total_weight = $5, updates = $6 where federation_id = $1 and attempt = $2 and coordinator_id = $3',
    [...key, bytesOfFloat64(sum.weightedSum), sum.totalWeight, sum.updates],
  );
}

function partialOf(r: Row): PartialAggregate {
  return { weightedSum: float64Of(bytesOf(r.weighted_sum)), totalWeight: Number(r.total_weight), updates: Number(r.updates) };
}

/** Item index of each device's first item: a device named twice in one fold counts once. */
function firstItemOfEachDevice(items: readonly { update: CountedUpdate }[]): Map<string, number> {
  const firsts = new Map<string, number>();
  items.forEach(({ update }, i) => {
    if (!firsts.has(update.deviceId)) firsts.set(update.deviceId, i);
  });
  return firsts;
}
