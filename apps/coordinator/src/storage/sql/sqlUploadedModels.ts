import type { StoredUploadedModel, UploadedModelInfo, UploadedModelRepository } from '../store.ts';
import { bytesOf, toIso, type Row } from './rows.ts';
import type { SqlClient } from './sqlClient.ts';

function infoOf(r: Row): UploadedModelInfo {
  return {
    id: String(r.id),
    name: String(r.name),
    inputShape: r.input_shape as number[],
    numClasses: Number(r.num_classes),
    parameters: Number(r.parameters),
    createdAt: toIso(r.created_at),
  };
}

/** The uploaded_models table. */
export class SqlUploadedModels implements UploadedModelRepository {
  constructor(private readonly db: SqlClient) {}

  async save(model: Omit<StoredUploadedModel, 'createdAt'>): Promise<UploadedModelInfo> {
    const { rows } = await this.db.query<Row>(
      `insert into uploaded_models (id, name, model_json, weights, input_shape, num_classes, parameters)
       values ($1, $2, $3, $4, $5, $6, $7) returning id, name, input_shape, num_classes, parameters, created_at`,
      [model.id, model.name, JSON.stringify(model.modelJson), model.weights, JSON.stringify(model.inputShape), model.numClasses, model.parameters],
    );
    return infoOf(rows[0]!);
  }

  async list(): Promise<UploadedModelInfo[]> {
    const { rows } = await this.db.query<Row>('select id, name, input_shape, num_classes, parameters, created_at from uploaded_models order by created_at, id');
    return rows.map(infoOf);
  }

  async get(id: string): Promise<StoredUploadedModel | null> {
    const { rows } = await this.db.query<Row>('select * from uploaded_models where id = $1', [id]);
    const r = rows[0];
    return r ? { ...infoOf(r), modelJson: r.model_json as Record<string, unknown>, weights: bytesOf(r.weights) } : null;
  }
}
