// Types for sms-text.js, which is served to the browser as it is and so cannot be TypeScript.
export type SegmentCount = {
  encoding: 'GSM-7' | 'UCS-2';
  /** GSM-7 septets (extension characters count 2) or UTF-16 code units (an emoji counts 2). */
  units: number;
  parts: number;
  /** How many units each part holds: 160/70 in a single part, 153/67 when split. */
  perPart: number;
  /** The characters outside GSM-7, each once, in the order they first appear. */
  forcingUcs2: string[];
};
export function countSegments(text: string): SegmentCount;
export const partsWarningAbove: number;
export function describeCount(count: SegmentCount): string;
export function fillPlaceholders(template: string, values: Readonly<Record<string, string>>): string;
export function unknownPlaceholders(template: string, known: readonly string[]): string[];
