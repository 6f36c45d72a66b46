/**
 * A sender name with letters ("OmNomNom") rather than a phone number. Phones cannot reply to it, so
 * STOP never reaches us, and the US and Canada do not allow it at all.
 * https://support.messagebird.com/hc/en-us/articles/115002628665-Alphanumeric-sender-ID
 */
export function isAlphanumericOriginator(originator: string): boolean {
  return /[A-Za-z]/.test(originator);
}

/** The warning for a text to a +1 (US, Canada) number while the originator is alphanumeric; undefined when none is due. */
export function northAmericaWarning(originator: string, recipient: string): string | undefined {
  if (!isAlphanumericOriginator(originator) || !recipient.startsWith('+1')) return undefined;
  return `${recipient} is a US or Canadian number, where a sender name such as “${originator}” is not allowed: carriers may block the text. Set MESSAGEBIRD_ORIGINATOR to a two-way phone number.`;
}
