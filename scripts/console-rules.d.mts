export function bundleConsoleRules(): Promise<string>;
