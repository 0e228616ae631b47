import type { HttpModule } from '../context.js';
import { registerAdminApi } from './admin-api.js';
import { registerAdminApiDirectories } from './admin-api-directories.js';
import { registerAdminApiTokens } from './admin-api-tokens.js';
import { registerConsole } from './console.js';
import { registerHardening } from './hardening.js';
import { registerHealth } from './health.js';
import { registerOAuth1 } from './oauth1.js';
import { registerOAuth2 } from './oauth2.js';
import { registerOidc } from './oidc.js';
import { registerOslc } from './oslc.js';
import { registerRegistration } from './registration.js';
import { registerSignIn } from './sign-in.js';

/** Route modules, in registration order. */
export const ROUTE_MODULES: HttpModule[] = [
  registerHardening,
  registerHealth,
  registerSignIn,
  registerAdminApi,
  registerAdminApiDirectories,
  registerAdminApiTokens,
  registerConsole,
  registerOAuth1,
  registerOAuth2,
  registerOidc,
  registerOslc,
  registerRegistration,
];
