export const START: string;
export const END: string;
export interface SecurityTest {
  requirement: string;
  name: string;
  file: string;
}
export function securityTests(): SecurityTest[];
export function renderTable(tests?: SecurityTest[]): string;
export function currentTable(): string | null;
