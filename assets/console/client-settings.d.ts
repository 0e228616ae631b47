// Types of the generated client-settings.js: the module it is bundled from.
export * from '../../src/core/clients/console-rules.js';
