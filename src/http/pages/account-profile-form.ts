import { viewProfile } from '../../admin/user-profile.js';
import type { User } from '../../core/ports.js';
import { html, type Raw } from '../html.js';

/**
 * The standard profile fields of My account (OIDC Core §5.1): rendered from the user or from what
 * was just submitted, and read back into the admin API's patch (empty clears a field). UserAdmin
 * validates them.
 */

interface Input {
  /** Form name: the admin API field ("address.locality" for members of the address). */
  name: string;
  label: string;
  max: number;
  type?: 'url' | 'tel';
  autocomplete?: string;
  hint?: string;
  multiline?: boolean;
}

const PROFILE_INPUTS: readonly Input[] = [
  { name: 'given_name', label: 'Given name', max: 200, autocomplete: 'given-name' },
  { name: 'middle_name', label: 'Middle name', max: 200, autocomplete: 'additional-name' },
  { name: 'family_name', label: 'Family name', max: 200, autocomplete: 'family-name' },
  { name: 'nickname', label: 'Nickname', max: 200, autocomplete: 'nickname' },
  { name: 'profile', label: 'Profile page', max: 2000, type: 'url', autocomplete: 'url', hint: 'An http or https address.' },
  { name: 'picture', label: 'Picture', max: 2000, type: 'url', autocomplete: 'photo', hint: 'The http or https address of an image of you.' },
  { name: 'website', label: 'Website or blog', max: 2000, type: 'url', autocomplete: 'url' },
  { name: 'gender', label: 'Gender', max: 100, autocomplete: 'sex' },
  { name: 'birthdate', label: 'Birthdate', max: 10, autocomplete: 'bday', hint: 'YYYY-MM-DD; 0000-MM-DD leaves out the year, YYYY alone gives only the year.' },
  { name: 'zoneinfo', label: 'Time zone', max: 64, hint: 'An IANA time zone name, e.g. Europe/Paris.' },
  { name: 'locale', label: 'Language', max: 35, autocomplete: 'language', hint: 'A language tag, e.g. en-US.' },
  { name: 'phone_number', label: 'Phone number', max: 40, type: 'tel', autocomplete: 'tel', hint: 'International form, e.g. +14255551212.' },
];

const ADDRESS_INPUTS: readonly Input[] = [
  { name: 'address.street_address', label: 'Street address', max: 300, multiline: true, autocomplete: 'street-address' },
  { name: 'address.locality', label: 'City', max: 100, autocomplete: 'address-level2' },
  { name: 'address.region', label: 'Region', max: 100, autocomplete: 'address-level1' },
  { name: 'address.postal_code', label: 'Postal code', max: 20, autocomplete: 'postal-code' },
  { name: 'address.country', label: 'Country', max: 100, autocomplete: 'country-name' },
  { name: 'address.formatted', label: 'Full address as printed', max: 500, multiline: true, hint: 'Optional: the whole address as it goes on a label.' },
];

/** Every form field name of the profile, for error placement. */
export const PROFILE_FIELD_NAMES: readonly string[] = [...PROFILE_INPUTS, ...ADDRESS_INPUTS].map((i) => i.name);

/** The label of a profile field named in an error, if it is one. */
export function profileFieldLabel(name: string): string | undefined {
  return [...PROFILE_INPUTS, ...ADDRESS_INPUTS].find((i) => i.name === name)?.label;
}

const idOf = (name: string) => name.replace('.', '-');

/** The form values of a user's profile. */
export function profileValues(user: User): Record<string, string> {
  const v = viewProfile(user);
  const out: Record<string, string> = {};
  for (const i of PROFILE_INPUTS) out[i.name] = (v[i.name as keyof typeof v] as string | null) ?? '';
  for (const i of ADDRESS_INPUTS) out[i.name] = v.address?.[i.name.slice('address.'.length)] ?? '';
  return out;
}

/** The submitted profile values (strings only; anything else is empty). */
export function submittedProfile(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PROFILE_FIELD_NAMES) out[name] = typeof body[name] === 'string' ? body[name] : '';
  return out;
}

/** The admin API patch of submitted values: every field sent, empty ones cleared; no address when all its members are empty. */
export function profilePatch(values: Record<string, string>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const i of PROFILE_INPUTS) patch[i.name] = (values[i.name] ?? '').trim() === '' ? null : values[i.name];
  const address: Record<string, string> = {};
  for (const i of ADDRESS_INPUTS) {
    const v = values[i.name] ?? '';
    if (v.trim() !== '') address[i.name.slice('address.'.length)] = v;
  }
  patch.address = Object.keys(address).length > 0 ? address : null;
  return patch;
}

/** The inputs, with the error of one field shown beside it. */
export function renderProfileFields(values: Record<string, string>, error: { field: string; text: string } | undefined): Raw {
  const one = (i: Input) => {
    const id = idOf(i.name);
    const value = values[i.name] ?? '';
    const failed = error?.field === i.name;
    const describedBy = [i.hint ? `${id}-hint` : '', failed ? `${id}-error` : ''].filter((x) => x !== '').join(' ');
    const attrs = html` id="${id}" name="${i.name}" maxlength="${i.max}"${i.autocomplete ? html` autocomplete="${i.autocomplete}"` : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}${failed ? html` aria-invalid="true"` : ''}`;
    return html`<label for="${id}">${i.label}</label>
    ${i.multiline ? html`<textarea${attrs} rows="2">${value}</textarea>` : html`<input type="${i.type ?? 'text'}"${attrs} value="${value}">`}
    ${i.hint ? html`<p class="hint" id="${id}-hint">${i.hint}</p>` : ''}
    ${failed ? html`<p class="field-error" id="${id}-error">${error.text}</p>` : ''}`;
  };
  return html`<fieldset class="profile-claims">
    <legend>About you</legend>
    <p class="hint">Shared only with applications you allow to see your profile, phone number or address. Leave a field empty to remove it.</p>
    ${PROFILE_INPUTS.map(one)}
    <fieldset class="profile-address">
      <legend>Postal address</legend>
      ${ADDRESS_INPUTS.map(one)}
    </fieldset>
  </fieldset>`;
}
