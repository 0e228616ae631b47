// node-oidc-provider 9 with its defaults (in-memory adapter, development keys and interactions),
// one confidential client equivalent to Latchkey's benchmark client, and the features Latchkey
// has switched on. The resource owner password grant does not exist in oidc-provider.
//
// One change to the defaults: the default in-memory adapter keeps its entries in an LRU of 1000
// entries, so under load it forgets codes and refresh tokens a few thousand writes after they were
// issued ("refresh token not found"). The benchmark gives the same adapter class an unbounded store,
// so that every token it issued stays valid for its lifetime, as with any real adapter.
import Provider from 'oidc-provider';
import MemoryAdapter, { type MemoryStore } from 'oidc-provider/lib/adapters/memory_adapter.js';

/** A Map with per-entry expiry: the default store without the size limit. */
class UnboundedStore implements MemoryStore {
  private readonly entries = new Map<string, { value: unknown; expiry: number | undefined }>();
  get(key: string): unknown {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiry !== undefined && e.expiry <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }
  set(key: string, value: unknown, options: { maxAge?: number } = {}): this {
    const expiry = typeof options.maxAge === 'number' && Number.isFinite(options.maxAge) ? Date.now() + options.maxAge : undefined;
    this.entries.set(key, { value, expiry });
    return this;
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
  delete(key: string): boolean {
    return this.entries.delete(key);
  }
}

const port = Number(process.env.BENCH_PORT);
const issuer = `http://127.0.0.1:${port}`;
const secret = process.env.BENCH_CLIENT_SECRET ?? '';
const redirectUri = process.env.BENCH_REDIRECT_URI ?? 'http://127.0.0.1:9/cb';

const store = new UnboundedStore();
const provider = new Provider(issuer, {
  // 15 s: the default clockTolerance, which the default adapter factory passes on.
  adapter: (model: string) => new MemoryAdapter(model, store, 15),
  clients: [
    {
      client_id: 'bench',
      client_secret: secret,
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    deviceFlow: { enabled: true },
  },
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`oidc-provider listening on ${issuer}\n`);
});

const stop = () => process.exit(0);
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
