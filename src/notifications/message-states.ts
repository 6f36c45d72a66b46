/**
 * The one list of message states. 'cancelled': queued, then never sent because the customer opted out, the order moved on to another status (or was cancelled) or its number was corrected first (the reason is its error description). The database's message_states table and the views take it from
 * here; the board script gets rows rendered by the views.
 */
export const messageStates = ['queued', 'sending', 'checking', 'sent', 'delivered', 'failed', 'expired', 'not-sent', 'cancelled'] as const;
export type MessageState = (typeof messageStates)[number];

/** What staff read for each state. */
export const messageStateLabels: Record<MessageState, string> = {
  queued: 'Queued',
  sending: 'Sending',
  checking: 'Checking with MessageBird',
  sent: 'Sent',
  delivered: 'Delivered',
  failed: 'Failed',
  expired: 'Expired',
  'not-sent': 'Not sent',
  cancelled: 'Cancelled',
};

/**
 * States that mean the customer has been, may have been, or is about to be texted: Notify will not
 * send again. 'checking' is one: MessageBird may already have the message.
 */
export const liveStates: readonly MessageState[] = ['queued', 'sending', 'checking', 'sent', 'delivered'];

// States only move forward; the final ones never change again.
export const stateRank: Record<MessageState, number> = { queued: 0, sending: 1, checking: 1, sent: 2, delivered: 3, failed: 3, expired: 3, 'not-sent': 3, cancelled: 3 };
