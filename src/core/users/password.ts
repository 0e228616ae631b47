/** Password length rules (the hashing itself is an adapter: src/adapters/argon2.ts). */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
