// Finding and probing the servers Flock runs beside itself on one machine (PostgreSQL, Redis, HAProxy): shared by
// `npm run start:scale` (deploy/run-at-scale.mjs) and the tests' throwaway servers (apps/coordinator/src/testing/).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { delimiter, dirname, join } from 'node:path';

const DEBIAN_POSTGRES = '/usr/lib/postgresql';

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findProgram(name, extraDirs = []) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  return dirs.map((dir) => join(dir, name)).find(executable) ?? null;
}

export function findHaproxy() {
  return findProgram('haproxy', ['/usr/sbin', '/usr/local/sbin']);
}

export function postgresBinaries() {
  const versions = existsSync(DEBIAN_POSTGRES) ? readdirSync(DEBIAN_POSTGRES).sort((a, b) => Number(b) - Number(a)) : [];
  const debian = versions.map((version) => join(DEBIAN_POSTGRES, version, 'bin')).find((bin) => executable(join(bin, 'initdb')));
  if (debian) return debian;
  const onPath = findProgram('initdb');
  return onPath ? dirname(onPath) : null;
}

export function postgresUser() {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    const [uid, gid] = ['-u', '-g'].map((flag) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim() || Number.NaN));
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { name, uid, gid };
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as (it refuses to run as root)');
}

export function redisAnswers(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
