/**
 * Requests the server sends on its own (back-channel logout, webhooks): the port the core calls,
 * implemented once by the safe outbound client (src/outbound/http-client.ts), which refuses
 * internal addresses, follows no redirect and bounds time and size.
 */
export interface OutboundRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Overall time limit for this request (ms); the client's own limit when absent or larger. */
  timeoutMs?: number;
}

export interface OutboundResponse {
  /** The status as received: a 3xx is returned as is, never followed. */
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface OutboundHttp {
  /** Rejects when the target is refused, unreachable, too slow or answers too much. */
  send(request: OutboundRequest): Promise<OutboundResponse>;
}

/**
 * Why the server would refuse to send to a URL, judged from the URL alone (scheme, literal
 * address, localhost names, the operator's allow-list), or null. Host names are resolved only
 * when a request is sent, and checked again there.
 */
export type OutboundTargetCheck = (url: string) => string | null;

/** The outbound side of an app: the client, and the check registration applies up front. */
export interface Outbound {
  http: OutboundHttp;
  refusal: OutboundTargetCheck;
}
