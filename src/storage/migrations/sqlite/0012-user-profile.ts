/** OpenID Connect standard claims of users (OIDC Core §5.1): each null when not set; the address as JSON. */
const TEXT_COLUMNS = [
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'profile_url',
  'picture_url',
  'website_url',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'phone_number',
  'address',
];

export const statements = [
  ...TEXT_COLUMNS.map((c) => `ALTER TABLE users ADD COLUMN ${c} TEXT`),
  // updated_at of the claims: the last change of name, email or profile.
  `ALTER TABLE users ADD COLUMN profile_updated_at INTEGER`,
  `UPDATE users SET profile_updated_at = updated_at`,
];
