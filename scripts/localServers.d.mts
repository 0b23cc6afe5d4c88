/** `name` on PATH or in `extraDirs`; null when in neither. */
export function findProgram(name: string, extraDirs?: string[]): string | null;

/** HAProxy on PATH, or where Debian puts it (/usr/sbin, not on every user's PATH); null when missing. */
export function findHaproxy(): string | null;

/** The folder with PostgreSQL's programs (initdb, pg_ctl, postgres): Debian's newest version, else PATH's; null when missing. */
export function postgresBinaries(): string | null;

/**
 * Who PostgreSQL must run as: null when this process is not root; under root, which PostgreSQL refuses,
 * the postgres user (Debian's package makes it), else nobody.
 */
export function postgresUser(): { name: string; uid: number; gid: number } | null;

/** One PING in Redis' inline protocol to 127.0.0.1:`port`; true when +PONG comes back within a second. */
export function redisAnswers(port: number): Promise<boolean>;
