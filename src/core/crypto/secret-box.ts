import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { Random } from '../ports.js';

const VERSION = 'v1';

/**
 * AES-256-GCM encryption of secrets at rest. Client secrets must be recoverable because
 * OAuth 1.0a HMAC signatures are keyed with the secret itself (RFC 5849 §3.4.2).
 * Output: `v1.<iv>.<tag>.<ciphertext>` in base64url. `context` is bound as additional data,
 * so a ciphertext copied to another row does not decrypt.
 */
export class SecretBox {
  constructor(
    private readonly key: Buffer,
    private readonly random: Random,
  ) {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes');
  }

  seal(plaintext: string, context: string): string {
    const iv = this.random.bytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string, context: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || iv === undefined || tag === undefined || body === undefined) {
      throw new Error('sealed value has an unknown format');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
