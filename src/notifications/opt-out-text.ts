import type { TimeFormatter } from '../web/format.ts';
import type { OptOut } from './opt-out-repository.ts';

/** "at 19:40", "yesterday at 23:50", "on 21 Nov 19:40": the kitchen's clock, read as a sentence. */
function when(formatted: string): string {
  if (/^\d\d:\d\d$/.test(formatted)) return `at ${formatted}`;
  const relative = /^(yesterday|tomorrow) (\d\d:\d\d)$/.exec(formatted);
  if (relative) return `${relative[1]} at ${relative[2]}`;
  return `on ${formatted}`;
}

/** How the customer came to be opted out: "Hannah replied STOP on 21 Nov 19:40". */
export function describeOptOut(name: string, optOut: OptOut, formatTime: TimeFormatter): string {
  const moment = when(formatTime(optOut.optedOutAt));
  return optOut.source === 'keyword'
    ? `${name} replied ${optOut.keyword} ${moment}`
    : `${name}’s number was marked opted out by ${optOut.staffUsername ?? 'staff'} ${moment}`;
}
