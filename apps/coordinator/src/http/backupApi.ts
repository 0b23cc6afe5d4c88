import express from 'express';
import { allow } from '../auth/guard.ts';
import { BackupRefusedError } from '../storage/store.ts';
import { EmptyBody } from './emptyBody.ts';

/**
 * `POST /api/admin/backup` (admin): a backup file of the running coordinator's data (storage/pglite/backup.ts), for `flockctl backup`;
 * 409 with the reason where the store is copied by other tools (PostgreSQL: pg_dump).
 */
export function backupApi(takeBackup: () => Promise<Uint8Array>): express.Router {
  const api = express.Router();
  api.post('/admin/backup', allow('admin'), express.json(), async (req, res) => {
    if (!EmptyBody.safeParse(req.body).success) return void res.status(400).json({ ok: false, reason: 'a backup takes no options: send no body' });
    let backup: Uint8Array;
    try {
      backup = await takeBackup();
    } catch (err) {
      if (err instanceof BackupRefusedError) return void res.status(409).json({ ok: false, reason: err.message });
      throw err;
    }
    res
      .type('application/octet-stream')
      .attachment(`flock-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.flockbak`)
      .send(Buffer.from(backup));
  });
  return api;
}
