// The part of oidc-provider 9's API the benchmark server uses (the package ships no types).
declare module 'oidc-provider' {
  import type { Server } from 'node:http';

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    listen(port: number, host: string, callback: () => void): Server;
  }
}

declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  /** The store the default adapter keeps its entries in (an LRU of 1000 entries by default). */
  export interface MemoryStore {
    get(key: string): unknown;
    set(key: string, value: unknown, options?: { maxAge?: number }): unknown;
    has(key: string): boolean;
    delete(key: string): boolean;
  }
  export default class MemoryAdapter {
    constructor(model: string, store?: MemoryStore, clockTolerance?: number);
  }
}
