import type { Message, QueueResult } from '../../src/notifications/message-repository.ts';

/** The message a queue() call wrote or found; fails the test when the recipient had opted out. */
export function queuedMessage(result: QueueResult): Message {
  if (result.outcome === 'opted-out') throw new Error(`expected a message, but ${result.optOut.phone} opted out`);
  return result.message;
}
