import { protocolDocument } from '@flock/fl-core';
import express from 'express';
import { allow } from '../auth/guard.ts';

/** `GET /api/protocol`: the device protocol's AsyncAPI document, for anyone writing a client (docs/protocol/). */
export function protocolApi(): express.Router {
  const api = express.Router();
  const document = protocolDocument();
  api.get('/protocol', allow('public'), (_req, res) => {
    res.json(document);
  });
  return api;
}
