/**
 * What a device presents to the coordinator: the device credential its id was bound to on its first
 * hello, else the enrollment token it joined with (a join link's `token`), else nothing (open
 * federations). Read on every (re)connection and shard download, so a credential kept after the first
 * hello is presented from then on. `persist` keeps it across restarts (IndexedDB in a tab, a file or
 * nothing in Node).
 */
export class DeviceCredentials {
  constructor(
    private credential: string | null = null,
    private readonly enrollmentToken: string | null = null,
    private readonly persist: (credential: string | null) => Promise<void> = async () => {},
  ) {}

  current(): string | null {
    return this.credential ?? this.enrollmentToken;
  }

  /** The coordinator bound this device id to `credential`. */
  keep(credential: string): Promise<void> {
    this.credential = credential;
    return this.persist(credential);
  }

  /** The coordinator refused the credential (revoked, or signed by a coordinator whose data was reset): join afresh. */
  forget(): Promise<void> {
    if (this.credential === null) return Promise.resolve();
    this.credential = null;
    return this.persist(null);
  }

  /** Socket.IO's `auth` option: called before each connection attempt. */
  readonly socketAuth = (cb: (data: object) => void): void => {
    const token = this.current();
    cb(token ? { token } : {});
  };

  /** Headers for a REST call the device makes (its shard download). */
  headers(): Record<string, string> {
    const token = this.current();
    return token ? { authorization: `Bearer ${token}` } : {};
  }
}
