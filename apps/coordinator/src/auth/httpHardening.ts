import type { IncomingMessage } from 'node:http';
import cors from 'cors';
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { SecurityLimits } from './securityLimits.ts';

/**
 * The built app's needs, nothing more: its own scripts, WebAssembly compiled by tfjs's wasm backend
 * ('wasm-unsafe-eval', not eval), workers from its own files or blobs, inline styles (React's style
 * props, recharts), images drawn to data:/blob: URLs, and fetches and websockets to its own origin.
 */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
  workerSrc: ["'self'", 'blob:'],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  // Plain-http deployments (localhost, a lab network) must keep their ws:// and http:// URLs.
  upgradeInsecureRequests: null,
};

/** Security headers with the CSP, and CORS for the allowlisted origins only (none: same origin). */
export function httpHardening(limits: SecurityLimits): RequestHandler[] {
  return [
    helmet({ contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES }, strictTransportSecurity: false }),
    cors({ origin: limits.corsOrigins.length > 0 ? limits.corsOrigins : false }),
  ];
}

/** Per-IP REST rate limit; 429 with the reason. */
export function restRateLimit(limits: SecurityLimits): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: limits.restRequestsPerMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, res) => {
      res
        .status(429)
        .json({ ok: false, reason: `too many requests from this address; at most ${limits.restRequestsPerMinute} a minute (FLOCK_RATE_LIMIT_PER_MINUTE)` });
    },
  });
}

/** Socket.IO's size cap and origin check. */
export function httpHardeningForSockets(limits: SecurityLimits): { maxHttpBufferSize: number; allowRequest: ReturnType<typeof socketOriginCheck> } {
  return { maxHttpBufferSize: limits.maxSocketMessageBytes, allowRequest: socketOriginCheck(limits) };
}

/**
 * Socket.IO's `allowRequest`: a browser page from another origin may not open a socket (websockets
 * skip CORS, so the Origin header is checked here); clients without an Origin (Node) pass.
 */
function socketOriginCheck(limits: SecurityLimits) {
  return (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void): void => {
    const origin = req.headers.origin;
    if (origin === undefined || limits.corsOrigins.includes(origin)) return callback(null, true);
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      // unreadable origin: refused below
    }
    if (host !== null && host === req.headers.host) return callback(null, true);
    callback(`origin ${origin} may not connect; allow it with FLOCK_CORS_ORIGINS`, false);
  };
}
