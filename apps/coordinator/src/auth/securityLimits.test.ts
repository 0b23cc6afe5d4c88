import { describe, expect, it } from 'vitest';
import { DEFAULT_SECURITY_LIMITS, parseSecurityEnv } from './securityLimits.ts';

describe('parseSecurityEnv', () => {
  it('keeps the defaults unless told otherwise, and reads an origin allowlist', () => {
    expect(parseSecurityEnv({})).toEqual(DEFAULT_SECURITY_LIMITS);
    expect(parseSecurityEnv({ FLOCK_CORS_ORIGINS: 'https://a.example/, http://b.example:8080', FLOCK_RATE_LIMIT_PER_MINUTE: '100' })).toMatchObject({
      corsOrigins: ['https://a.example', 'http://b.example:8080'],
      restRequestsPerMinute: 100,
    });
    expect(parseSecurityEnv({ FLOCK_UPLOAD_BUDGET_BYTES: '67108864', FLOCK_MAX_CONNECTIONS_PER_IP: '20' })).toMatchObject({
      uploadBudgetBytes: 64 * 1024 * 1024,
      maxConnectionsPerIp: 20,
    });
    expect(parseSecurityEnv({ FLOCK_TRUSTED_PROXIES: 'loopback, 10.0.0.0/8,192.168.1.7' }).trustedProxies).toEqual(['loopback', '10.0.0.0/8', '192.168.1.7']);
  });

  it('refuses a bad value, naming the variable', () => {
    expect(() => parseSecurityEnv({ FLOCK_CORS_ORIGINS: 'not a url' })).toThrow(/FLOCK_CORS_ORIGINS/);
    expect(() => parseSecurityEnv({ FLOCK_SOCKET_EVENT_BURST: '0' })).toThrow(/FLOCK_SOCKET_EVENT_BURST/);
    expect(() => parseSecurityEnv({ FLOCK_UPLOAD_BUDGET_BYTES: 'lots' })).toThrow(/FLOCK_UPLOAD_BUDGET_BYTES/);
    expect(() => parseSecurityEnv({ FLOCK_MAX_CONNECTIONS_PER_IP: '0' })).toThrow(/FLOCK_MAX_CONNECTIONS_PER_IP/);
    expect(() => parseSecurityEnv({ FLOCK_TRUSTED_PROXIES: 'balancer.internal' })).toThrow(/FLOCK_TRUSTED_PROXIES: each entry is an IP address/);
  });
});
