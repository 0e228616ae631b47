import type { Command } from 'commander';
import { isSigningAlg, SIGNING_ALGS, type SigningAlg } from '../../core/tokens/signing-keys.js';
import { CliError, print, withApp } from '../context.js';

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('signing keys of access tokens (and ID tokens)');

  keys
    .command('rotate')
    .description(
      'add a new signing key per algorithm; the previous ones stop signing at once (every instance sees it within seconds) and keep validating until their tokens have expired',
    )
    .option('--alg <alg>', `only this algorithm (${SIGNING_ALGS.join(' or ')})`)
    .option('--json', 'print JSON')
    .action(async (o: { alg?: string; json?: boolean }) => {
      let algs: readonly SigningAlg[] = SIGNING_ALGS;
      if (o.alg !== undefined) {
        if (!isSigningAlg(o.alg)) throw new CliError(`--alg must be one of ${SIGNING_ALGS.join(', ')}`);
        algs = [o.alg];
      }
      await withApp(async (app) => {
        const added = await app.oauth2.keys.rotate(algs);
        const view = added.map((k) => ({ kid: k.kid, alg: k.alg, created_at: new Date(k.createdAt).toISOString() }));
        await app.stores.audit.append({
          at: app.clock.now(),
          actor: 'cli',
          source: 'cli',
          action: 'keys.rotate',
          targetType: 'signing_key',
          target: null,
          details: { added: view },
        });
        print({ added: view }, o.json === true, () => view.map((k) => `added ${k.alg} key ${k.kid}`).join('\n'));
      });
    });

  keys
    .command('list')
    .description('signing keys still published in /jwks.json, newest first')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await withApp(async (app) => {
        const service = app.oauth2;
        const { keys: jwks } = await service.keys.jwks();
        const published = new Set(jwks.map((k) => k.kid));
        const rows = (await service.stores.signingKeys.list())
          .filter((k) => published.has(k.kid))
          .map((k) => ({
            kid: k.kid,
            alg: k.alg,
            created_at: new Date(k.createdAt).toISOString(),
            status: k.retiredAt === null ? 'signing' : 'validating only',
            retired_at: k.retiredAt === null ? null : new Date(k.retiredAt).toISOString(),
          }));
        print(
          rows,
          o.json === true,
          () => rows.map((k) => `${k.alg}  ${k.kid}  ${k.status}  created ${k.created_at}`).join('\n') || 'no keys yet (created on first use)',
        );
      });
    });
}
