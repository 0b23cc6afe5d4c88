import { describe, expect, it } from 'vitest';
import { refusalFor, type Credential, type Principal } from './principal.ts';

const valid = (principal: Principal): Credential => ({ kind: 'valid', principal });
const admin = valid({ role: 'admin', via: 'secret' });
const viewer = valid({ role: 'viewer', via: 'token', kind: 'viewer', jti: 'v' });
const device = valid({ role: 'device', via: 'token', kind: 'device', jti: 'd', federationId: 'fed-a', deviceId: 'device-0001' });

describe('refusalFor', () => {
  it('lets anyone through a public route, even with a bad token', () => {
    expect(refusalFor({ kind: 'none' }, 'public')).toBeNull();
    expect(refusalFor({ kind: 'invalid', reason: 'token has expired' }, 'public')).toBeNull();
  });

  it('answers 401 to an unknown caller, with the reason', () => {
    expect(refusalFor({ kind: 'none' }, 'viewer')).toEqual({ status: 401, reason: expect.stringContaining('Authorization: Bearer') });
    expect(refusalFor({ kind: 'invalid', reason: 'token has expired' }, 'admin')).toEqual({ status: 401, reason: 'token has expired' });
  });

  it('answers 403 to a known caller without the role: admin covers viewer, a device neither', () => {
    expect(refusalFor(admin, 'viewer')).toBeNull();
    expect(refusalFor(viewer, 'viewer')).toBeNull();
    expect(refusalFor(viewer, 'admin')).toEqual({ status: 403, reason: 'this needs the admin role; the token presented is a viewer token' });
    expect(refusalFor(device, 'viewer')).toEqual({ status: 403, reason: 'this needs the viewer role; the token presented is a device token' });
    expect(refusalFor(admin, 'device')).toEqual({ status: 403, reason: 'this needs the device role; the token presented is an admin token' });
  });

  it('holds a device token to its own federation', () => {
    expect(refusalFor(device, 'device', 'fed-a')).toBeNull();
    expect(refusalFor(device, 'device', 'fed-b')).toEqual({ status: 403, reason: 'the token presented is for federation "fed-a", not "fed-b"' });
  });
});
