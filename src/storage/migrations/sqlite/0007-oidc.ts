/** OpenID Connect: the sign-in session (sid) a grant was made in, for logout. */
export const statements = [`ALTER TABLE oauth2_grants ADD COLUMN sid TEXT`, `CREATE INDEX oauth2_grants_sid ON oauth2_grants (sid)`];
