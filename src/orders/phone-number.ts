import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { CountryCode, NumberType } from 'libphonenumber-js/max';

export type PhoneParse = { ok: true; e164: string } | { ok: false; problem: string };

// Types that can receive an SMS. Some countries (the US among them) do not tell mobile and fixed
// numbers apart, so "fixed line or mobile" has to count as mobile there.
const textable = new Set<NumberType>(['MOBILE', 'FIXED_LINE_OR_MOBILE', 'PERSONAL_NUMBER']);

/**
 * Reads a customer's number as typed — international (+31 6 …) or national for the kitchen's
 * country (06 …) — and returns it in E.164, the form MessageBird expects. Uses the full metadata
 * ("max"), which is what can tell a mobile number from a landline.
 */
export function parseMobileNumber(input: string, defaultCountry: CountryCode): PhoneParse {
  const typed = input.trim();
  if (typed === '') return { ok: false, problem: 'Enter the customer’s mobile number.' };
  const number = parsePhoneNumberFromString(typed, { defaultCountry, extract: false });
  if (!number || !number.isValid()) {
    return { ok: false, problem: `That is not a valid phone number. Use the international form (+31 6 1234 5678) or a national ${defaultCountry} number.` };
  }
  const type = number.getType();
  if (type !== undefined && !textable.has(type)) {
    return { ok: false, problem: 'That number cannot receive text messages (it is not a mobile number).' };
  }
  return { ok: true, e164: number.number };
}
