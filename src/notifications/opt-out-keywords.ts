// The replies that stop texts and start them again: the usual carrier keywords (CTIA's list for
// opting out, plus START/UNSTOP to opt back in). Case and surrounding spaces do not count.
const optOutKeywords = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const optInKeywords = new Set(['START', 'UNSTOP']);

export type KeywordMeaning = { keyword: string; optOut: boolean };

/** What a customer's reply asks for, or undefined for any other text (which changes nothing). */
export function readKeyword(text: string): KeywordMeaning | undefined {
  const keyword = text.trim().toUpperCase();
  if (optOutKeywords.has(keyword)) return { keyword, optOut: true };
  if (optInKeywords.has(keyword)) return { keyword, optOut: false };
  return undefined;
}
