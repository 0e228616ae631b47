/** The predefined domain of internal users: no directory may take it. */
export const INTERNAL_DOMAIN_NAME = 'internal';
