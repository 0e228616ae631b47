import type { Client } from '../core/clients/client.js';
import type { AuditStore, ClientStore, Clock } from '../core/ports.js';
import type { Consent, ConsentStore } from '../core/sessions/ports.js';
import type { Actor } from './errors.js';

export interface AuthorizedApplication {
  consent: Consent;
  /** undefined when the application was removed since. */
  client: Client | undefined;
}

export interface AuthorizedApplicationsDeps {
  consents: Pick<ConsentStore, 'listForUser' | 'revoke'>;
  clients: Pick<ClientStore, 'get'>;
  audit: Pick<AuditStore, 'append'>;
  clock: Clock;
  /** What ends when a user revokes an application (its grants and tokens of that user). */
  onRevoked: ReadonlyArray<(userId: string, clientKey: string) => Promise<void>>;
}

/** "Authorized applications": what a user allowed, and taking it back (audited). */
export class AuthorizedApplications {
  constructor(private readonly deps: AuthorizedApplicationsDeps) {}

  async list(userId: string): Promise<AuthorizedApplication[]> {
    const consents = await this.deps.consents.listForUser(userId);
    const clients = await Promise.all(consents.map((c) => this.deps.clients.get(c.clientKey)));
    return consents.map((consent, i) => ({ consent, client: clients[i] }));
  }

  /** Returns false when the user had not authorized that application. */
  async revoke(userId: string, clientKey: string, actor: Actor): Promise<boolean> {
    if (!(await this.deps.consents.revoke(userId, clientKey))) return false;
    for (const hook of this.deps.onRevoked) await hook(userId, clientKey);
    await this.deps.audit.append({
      at: this.deps.clock.now(),
      actor: actor.name,
      source: actor.source,
      action: 'consent.revoke',
      targetType: 'client',
      target: clientKey,
      details: {},
    });
    return true;
  }
}
