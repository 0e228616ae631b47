/** RFC 7662: a client marked as a resource server may introspect tokens issued to other clients. */
export const statements = [`ALTER TABLE clients ADD COLUMN resource_server SMALLINT NOT NULL DEFAULT 0`];
