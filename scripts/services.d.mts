export function freePort(): Promise<number>;
export function postgresBin(): string | null;
export function ensureSystemPackages(): void;
export function startPostgres(): Promise<{ url: string; port: number; dir: string; data: string; bin: string; stop(): Promise<void> }>;
