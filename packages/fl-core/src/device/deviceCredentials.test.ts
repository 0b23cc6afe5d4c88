import { describe, expect, it } from 'vitest';
import { DeviceCredentials } from './deviceCredentials.ts';

describe('DeviceCredentials', () => {
  it('presents the enrollment token until a credential is kept, then the credential, and persists each change', async () => {
    const persisted: Array<string | null> = [];
    const credentials = new DeviceCredentials(null, 'enroll', async (c) => void persisted.push(c));
    const auth = () => new Promise<object>((resolve) => credentials.socketAuth(resolve));
    expect(await auth()).toEqual({ token: 'enroll' });
    await credentials.keep('bound');
    expect(await auth()).toEqual({ token: 'bound' });
    expect(credentials.headers()).toEqual({ authorization: 'Bearer bound' });
    await credentials.forget();
    expect(credentials.current()).toBe('enroll');
    expect(persisted).toEqual(['bound', null]);
  });

  it('presents nothing for an open federation before the first hello', async () => {
    const credentials = new DeviceCredentials();
    expect(await new Promise((resolve) => credentials.socketAuth(resolve))).toEqual({});
    expect(credentials.headers()).toEqual({});
  });
});
