import { createHmac } from 'node:crypto';
import type { Client } from '../core/clients/client.js';
import type { OutboundHttp } from '../core/outbound.js';
import type { Clock } from '../core/ports.js';
import { pendingNotification } from '../core/registration/notification.js';

export interface WebhookOptions {
  url: string;
  /** HMAC-SHA256 key for the X-Latchkey-Signature header. */
  secret?: string | undefined;
  timeoutMs: number;
  issuer: string;
  clock: Clock;
  /** Where failures are reported; a webhook never fails the change that triggered it. */
  onFailure: (message: string, err?: unknown) => void;
  /** Reads the client as it is when the notification goes out. */
  load: (key: string) => Promise<Client | undefined>;
  /**
   * Wait before reading and sending, so that a change made together with the status (an update that
   * sent the client back to pending) is in the notification. Default 200 ms.
   */
  settleMs?: number;
  /** The app's outbound client: internal addresses refused unless allow-listed, no redirect followed. */
  http: OutboundHttp;
}

/**
 * Tells an external system (chat, ticketing) that a client waits for an administrator. Sending is
 * fire-and-forget and time-bounded: a slow or dead receiver never delays or fails a registration.
 */
export class WebhookNotifier {
  private readonly inFlight = new Set<Promise<void>>();
  constructor(private readonly options: WebhookOptions) {}

  /** Starts a delivery in the background and returns at once. */
  notify(client: Client): void {
    const delivery: Promise<void> = this.deliver(client).finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  /** Waits for deliveries under way (each bounded by the timeout), e.g. before a CLI exits. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(pending: Client): Promise<void> {
    try {
      await new Promise((resolve) => setTimeout(resolve, this.options.settleMs ?? 200));
      const client = await this.options.load(pending.key);
      // Decided (or removed) in the meantime: it no longer waits, so there is nothing to announce.
      if (client?.status !== 'pending') return;
      const body = JSON.stringify(pendingNotification(client, this.options.issuer, this.options.clock.now()));
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Latchkey-Webhook/1' };
      if (this.options.secret) headers['x-latchkey-signature'] = `sha256=${createHmac('sha256', this.options.secret).update(body).digest('hex')}`;
      const res = await this.options.http.send({ method: 'POST', url: this.options.url, headers, body, timeoutMs: this.options.timeoutMs });
      if (res.status < 200 || res.status >= 300) this.options.onFailure(`webhook answered HTTP ${res.status}`);
    } catch (err) {
      this.options.onFailure('webhook delivery failed', err);
    }
  }
}
