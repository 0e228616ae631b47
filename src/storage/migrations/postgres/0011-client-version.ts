/** The version of a client, increased by every write, so that an approval names what was reviewed. */
export const statements = [`ALTER TABLE clients ADD COLUMN version BIGINT NOT NULL DEFAULT 1`];
