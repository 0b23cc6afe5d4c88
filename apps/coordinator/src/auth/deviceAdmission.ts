import { joinPolicyOf, type FederationConfig, type HelloMessage, type HelloReply } from '@flock/fl-core';
import type { Credential } from './principal.ts';
import type { TokenService } from './tokenService.ts';

type Gate = { ok: true; bind: boolean } | { ok: false; reason: string };

/**
 * Who may say hello as which device. A device id is bound, on its first hello, to a device credential
 * (a JWT with sub = device id, fed = federation) that the device keeps and presents from then on: a
 * hello claiming a bound id without it is refused, as is any token for another federation, and an
 * enrollment-only federation admits only an enrollment token or a device credential.
 */
export class DeviceAdmission {
  constructor(private readonly tokens: TokenService) {}

  /** Runs `admit` (the federation's own admission) only for a device allowed in; a first hello's reply carries its new credential. */
  async admit(credential: Credential, msg: HelloMessage, config: FederationConfig, admit: () => Promise<HelloReply>): Promise<HelloReply> {
    const gate = this.gate(credential, msg, config);
    if (!gate.ok) return gate;
    if (!gate.bind) return admit();
    const bound = (): HelloReply => ({
      ok: false,
      reason: `device id ${msg.deviceId} is bound to a device credential: connect with it (a tab keeps it in IndexedDB), or use another device id`,
    });
    if (await this.tokens.isBound(msg.federationId, msg.deviceId)) return bound();
    const reply = await admit();
    if (!reply.ok) return reply;
    const minted = await this.tokens.mint({ kind: 'device', federationId: msg.federationId, deviceId: msg.deviceId });
    return minted ? { ...reply, credential: minted.token } : bound();
  }

  private gate(credential: Credential, msg: HelloMessage, config: FederationConfig): Gate {
    switch (credential.kind) {
      case 'invalid':
        return { ok: false, reason: credential.reason };
      case 'none':
        return joinPolicyOf(config) === 'open'
          ? { ok: true, bind: true }
          : { ok: false, reason: `federation "${config.id}" is enrollment-only: join with its enrollment link (it carries a token)` };
      case 'valid': {
        const { principal } = credential;
        if (principal.role !== 'device') return { ok: false, reason: `${principal.role} tokens do not join as a device` };
        if (principal.federationId !== msg.federationId) {
          return { ok: false, reason: `the token presented is for federation "${principal.federationId}", not "${msg.federationId}"` };
        }
        if (principal.kind === 'enrollment') return { ok: true, bind: true };
        if (principal.deviceId !== msg.deviceId) {
          return { ok: false, reason: `the credential presented belongs to device ${principal.deviceId}, not ${msg.deviceId}` };
        }
        return { ok: true, bind: false };
      }
      default: {
        const unknown: never = credential;
        return unknown;
      }
    }
  }
}
