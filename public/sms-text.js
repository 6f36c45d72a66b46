// What a text message costs and how a template becomes a message: one module for the server
// (imported by src/notifications) and the Templates page's script, so both count the same way.
// Plain JavaScript because browsers load it as it is; its types are in sms-text.d.ts.

// GSM 03.38 (3GPP TS 23.038 §6.2.1): the default alphabet, and the extension table's characters,
// which are sent as ESC + character and so take two of the 160 places. 0x09 is the capital Ç;
// the small ç is not in the table. ESC (0x1B) itself is not a character anyone can type into a text.
const gsmBasic = new Set(Array.from(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
));
const gsmExtension = new Set(Array.from('\f^{}\\[~]|€'));

// One part holds 140 bytes: 160 GSM-7 characters or 70 UTF-16 code units. A text in several parts
// loses 6 bytes of each to the concatenation header: 153 or 67.
const sizes = {
  'GSM-7': { single: 160, multi: 153 },
  'UCS-2': { single: 70, multi: 67 },
};

/** @param {string} text */
export function countSegments(text) {
  const characters = Array.from(text);
  const forcingUcs2 = [...new Set(characters.filter((character) => !gsmBasic.has(character) && !gsmExtension.has(character)))];
  const encoding = forcingUcs2.length > 0 ? 'UCS-2' : 'GSM-7';
  const cost = encoding === 'GSM-7'
    ? (/** @type {string} */ character) => (gsmExtension.has(character) ? 2 : 1)
    : (/** @type {string} */ character) => character.length;
  const { single, multi } = sizes[encoding];
  const units = characters.reduce((sum, character) => sum + cost(character), 0);
  let parts = units === 0 ? 0 : 1;
  if (units > single) {
    // An escape pair or a surrogate pair is never split across two parts, so a part may end short.
    let used = 0;
    for (const character of characters) {
      if (used + cost(character) > multi) {
        parts += 1;
        used = 0;
      }
      used += cost(character);
    }
  }
  return { encoding, units, parts, perPart: parts > 1 ? multi : single, forcingUcs2 };
}

/** Above this many parts the Templates page warns: each part is billed as one message. */
export const partsWarningAbove = 3;

/** @param {string} character */
const nameOf = (character) => {
  const code = `U+${character.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return character.trim() === '' ? `an invisible ${code}` : `${character} (${code})`;
};

/**
 * The count in words, the same on the server's page and under the field while typing.
 * @param {ReturnType<typeof countSegments>} count
 */
export function describeCount(count) {
  const parts = `${count.parts} SMS part${count.parts === 1 ? '' : 's'}${count.parts > 1 ? ` of ${count.perPart}` : ''}`;
  const sentence = `${count.encoding}: ${count.units} characters, ${parts}.`;
  if (count.encoding === 'GSM-7') return sentence;
  return `${sentence} UCS-2 because of ${count.forcingUcs2.map(nameOf).join(', ')}; without ${count.forcingUcs2.length === 1 ? 'it' : 'them'} a part holds 160 characters instead of 70.`;
}

const placeholderPattern = /\{([A-Za-z]+)\}/g;

/**
 * Fills in the placeholders in one pass, so a value containing "{name}" or "$&" is inserted
 * literally and never expanded again. Anything in braces that is not a placeholder stays as it is.
 * @param {string} template
 * @param {Readonly<Record<string, string>>} values
 */
export function fillPlaceholders(template, values) {
  return template.replace(placeholderPattern, (whole, /** @type {string} */ key) => (Object.hasOwn(values, key) ? values[key] : whole));
}

/**
 * Braces in a template that are not one of the known placeholders: "{nmae}", "{ name }", a lone "{".
 * @param {string} template
 * @param {readonly string[]} known
 */
export function unknownPlaceholders(template, known) {
  const braced = template.match(/\{[^{}]*\}/g) ?? [];
  const unknown = braced.filter((token) => !known.includes(token.slice(1, -1)));
  const stray = template.replace(/\{[^{}]*\}/g, '').match(/[{}]/g) ?? [];
  return [...new Set([...unknown, ...stray])];
}
