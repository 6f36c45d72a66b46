import { Router } from 'express';
import type { Request, RequestParamHandler, Response } from 'express';
import createError from 'http-errors';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { countSegments, describeCount } from '../../public/sms-text.js';
import type { MessageRepository } from '../notifications/message-repository.ts';
import type { RowChoice } from '../board/board-router.ts';
import type { ChangeResult, Notifier, NotifyResult } from '../notifications/notifier.ts';
import type { OptOutRepository } from '../notifications/opt-out-repository.ts';
import type { QuickAnswerRepository } from '../notifications/quick-answer-repository.ts';
import type { ReplyRepository } from '../notifications/reply-repository.ts';
import { describeOptOut } from '../notifications/opt-out-text.ts';
import { northAmericaWarning } from '../notifications/originator.ts';
import type { Flash } from '../web/flash.ts';
import { setFlash } from '../web/flash.ts';
import type { TimeFormatter } from '../web/format.ts';
import { delayMinutesField, delayRule, delayText } from './delays.ts';
import { isOrderId } from './order-id.ts';
import type { Order, OrderRepository, StatusChange } from './order-repository.ts';
import { fieldLabels, fieldText } from './order-input.ts';
import { cancelReasonMaxLength, orderStatuses } from './order-status.ts';
import type { OrderStatus } from './order-status.ts';
import { deliveryStateLabels } from '../webhooks/webhook-repository.ts';
import type { WebhookRepository } from '../webhooks/webhook-repository.ts';

declare module 'express-serve-static-core' {
  interface Locals {
    order?: Order;
  }
}

/** Renders the board (see the board router); `choices` keeps unsaved picks in the rows' forms. */
type BoardRenderer = (res: Response, searchText?: string, choices?: ReadonlyMap<string, RowChoice>) => Promise<void>;

const statusForm = z.object({
  status: z.enum(orderStatuses, { error: `Choose a status: ${orderStatuses.join(', ')}` }),
  // The status the page showed, so a stale page cannot overwrite a change made elsewhere.
  expectedStatus: z.enum(orderStatuses, { error: 'the form did not say which status the board showed; reload the board and try again' }),
  // Required for a change to delayed, typed or one of the quick picks (a button; it wins, being
  // what was pressed); ignored with any other status.
  delayMinutes: delayMinutesField,
  quickDelay: delayMinutesField,
  // Why, for a change to cancelled ("Out of stock"); optional, ignored with any other status.
  reason: z.string().trim().max(cancelReasonMaxLength, `write the reason in at most ${cancelReasonMaxLength} characters`).optional(),
  // The "Text the customer" box. Only a ticked box texts: an unticked box, or a page from before the
  // box existed, sends no field, and neither may text anyone by surprise.
  text: z.literal('on', { error: 'the "Text the customer" box sent an unexpected value; reload the board and try again' }).optional(),
  // Sent from the order's page, not a board row: the answer goes back there.
  from: z.enum(['order']).optional(),
});

/** Whether a status form (or its Notify button) was sent from the order's page rather than a board row. */
const fromOrderPage = (req: Request) => ((req.body ?? {}) as Record<string, unknown>).from === 'order';

// Notify and Send again submit the row's status form (the buttons name it with form=), so the
// server sees what the list shows and the status the page was rendered with.
const notifyForm = z.object({
  status: z.enum(orderStatuses),
  expectedStatus: z.enum(orderStatuses),
});

// Staff's own text to the customer. At most four GSM-7 parts: an answer, not a letter.
export const answerMaxLength = 612;
const answerForm = z.object({
  body: z.string({ error: 'write the text' }).trim().min(1, 'write the text').max(answerMaxLength, `write at most ${answerMaxLength} characters`),
  // The form's one-time token: the same form sent twice (a double click, a page sent again) texts once.
  formToken: z.string({ error: 'the form is out of date; reload the page and try again' }).regex(/^[0-9a-f]{32}$/, 'the form is out of date; reload the page and try again'),
  // The newest text from the customer the page showed: answering marks them read up to it.
  // Empty when there was none unread.
  upTo: z.preprocess((value) => (value === '' ? undefined : value), z.coerce.number().int().positive().optional()),
});

// Mark read: up to the newest reply the page showed, so one that came in since stays unread; back
// to the order's page when pressed there, else to its row on the board.
const readRepliesForm = z.object({
  upTo: z.coerce.number({ error: 'the form did not say which texts it showed; reload the page and try again' }).int().positive(),
  from: z.enum(['order']).optional(),
});

export function createOrdersRouter(deps: {
  orders: OrderRepository;
  messages: MessageRepository;
  optOuts: OptOutRepository;
  replies: ReplyRepository;
  notifier: Notifier;
  formatTime: TimeFormatter;
  renderBoard: BoardRenderer;
  /** The answers offered with one press above the answer field (the Templates page). */
  quickAnswers: QuickAnswerRepository;
  /** Statuses whose "Text the customer" box starts ticked (the Settings page). */
  textDefaults: () => Promise<ReadonlySet<OrderStatus>>;
  lateAfterMinutes: number;
  /** MESSAGEBIRD_ORIGINATOR, for the warning about sender names in the US and Canada. */
  originator: string;
  /** What the shop that sent an order was told of it (its status updates). */
  shopUpdates: Pick<WebhookRepository, 'forOrder'>;
}): Router {
  const { orders, messages, optOuts, replies, notifier, formatTime, renderBoard } = deps;
  const router = Router();

  const changedSince = (order: Order, change: StatusChange) =>
    `${order.customerName}'s order was changed to ${change.status}${change.changedBy ? ` by ${change.changedBy}` : ''} at ${formatTime(change.changedAt)} — check the board and try again.`;

  /**
   * Texts only what the page showed and the list still shows: nothing silently goes out for the
   * saved status while another choice sits in the list, or after another tablet changed the order.
   * Renders the refusal and returns false otherwise.
   */
  const notifyAllowed = async (req: Request, res: Response): Promise<boolean> => {
    const order = res.locals.order!;
    const parsed = notifyForm.safeParse(req.body ?? {});
    let message: string | undefined;
    const choices = new Map<string, RowChoice>();
    if (!parsed.success) {
      res.status(400);
      message = `Nothing was sent to ${order.customerName}: the form did not say which status the board showed; reload the board and try again.`;
    } else if (parsed.data.expectedStatus !== order.status) {
      res.status(409);
      message = `Nothing was sent. ${changedSince(order, (await orders.latestChange(order.id))!)}`;
    } else if (parsed.data.status !== order.status) {
      res.status(409);
      message = `Nothing was sent to ${order.customerName}: the list shows ${parsed.data.status}, but the saved status is ${order.status}. Press Update to save ${parsed.data.status} first, then notify — or set the list back to ${order.status}.`;
      choices.set(order.id, typedChoice((req.body ?? {}) as Record<string, unknown>, order));
    }
    if (!message) return true;
    res.locals.flash = { kind: 'error', message };
    await renderRefusal(req, res, choices);
    return false;
  };

  router.param('orderId', loadOrder(orders));

  /** The customer's texts and staff's answers, oldest first, as a conversation reads. */
  async function conversationOf(order: Order) {
    const sent = await messages.forOrder(order.id);
    const texts = await replies.forOrder(order.id);
    const conversation = [
      ...texts.map((reply) => ({ at: reply.receivedAt, reply, answer: undefined })),
      ...sent.filter((message) => message.kind === 'answer').map((answer) => ({ at: answer.requestedAt, reply: undefined, answer })),
    ].sort((first, second) => first.at.localeCompare(second.at));
    return { sent, texts, conversation };
  }

  /**
   * The order's page; `draft` is an answer that was not sent, shown again as typed, and `choice` a
   * refused status form's picks.
   */
  /** What partials/order-now needs: the order's facts and its status form. */
  async function orderNow(order: Order) {
    const optOut = await optOuts.current(order.phone);
    return {
      order,
      delay: order.delayMinutes === null ? undefined : delayText(order.delayMinutes),
      optOut: optOut && describeOptOut(order.customerName, optOut, formatTime),
      textDefaults: await deps.textDefaults(),
    };
  }

  async function renderOrderPage(res: Response, draft = '', choice?: RowChoice) {
    const order = res.locals.order!;
    const { sent, texts, conversation } = await conversationOf(order);
    res.render('order', {
      ...(await orderNow(order)), choice,
      title: `Order for ${order.customerName}`, history: await orders.history(order.id), messages: sent,
      edits: await orders.edits(order.id), fieldLabels, fieldText, replies: texts, conversation,
      answer: { draft, formToken: randomBytes(16).toString('hex'), count: describeCount(countSegments(draft)), maxLength: answerMaxLength, quick: await Promise.all((await deps.quickAnswers.list()).map((quick) => notifier.fill(order, quick))) },
      optOutHistory: await optOuts.history(order.phone),
      shopUpdates: await deps.shopUpdates.forOrder(order.id), deliveryStateLabels,
    });
  }

  /** A refused status form or Notify, shown again where it was sent from, its picks kept. */
  async function renderRefusal(req: Request, res: Response, choices: ReadonlyMap<string, RowChoice> = new Map()) {
    if (fromOrderPage(req)) return renderOrderPage(res, '', choices.get(res.locals.order!.id));
    await renderBoard(res, undefined, choices);
  }

  router.get('/orders/:orderId', async (_req, res) => {
    await renderOrderPage(res);
  });

  // The order as it is now (its facts and status form) alone, for the order page's script, as the
  // conversation below: no page around it, so no flash is taken.
  router.get('/orders/:orderId/now', async (_req, res) => {
    res.render('partials/order-now', await orderNow(res.locals.order!));
  });

  // The conversation alone, for the order page's script: no page around it, so no flash is taken.
  router.get('/orders/:orderId/conversation', async (_req, res) => {
    const order = res.locals.order!;
    const { texts, conversation } = await conversationOf(order);
    res.render('partials/conversation', { order, conversation, unreadReplies: texts.filter((reply) => reply.readAt === null) });
  });

  router.post('/orders/:orderId/answer', async (req, res) => {
    const order = res.locals.order!;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typed = typeof body.body === 'string' ? body.body.slice(0, answerMaxLength * 2) : '';
    const parsed = answerForm.safeParse(body);
    if (!parsed.success) {
      res.status(400);
      res.locals.flash = { kind: 'error', message: `Nothing was sent to ${order.customerName}: ${parsed.error.issues[0]!.message}.` };
      return renderOrderPage(res, typed);
    }
    const result = (await notifier.answer(order.id, parsed.data.body, res.locals.currentStaff!.id, parsed.data.formToken))!;
    if (result.outcome === 'opted-out') {
      res.status(409);
      // The page has no form for a number that opted out: what was typed is given back here.
      res.locals.flash = { kind: 'error', message: `Nothing was sent: ${describeOptOut(order.customerName, result.optOut, formatTime)} and gets no more texts.`, details: [`Your text: “${parsed.data.body}”`] };
      return renderOrderPage(res, typed);
    }
    if (parsed.data.upTo !== undefined) await replies.markOrderRead(order.id, parsed.data.upTo, res.locals.currentStaff!.id);
    setFlash(req, withOriginatorWarning(notifyFlash(result, formatTime), order));
    res.redirect(303, `${orderPage(order)}#conversation-heading`);
  });

  router.post('/orders/:orderId/replies/read', async (req, res) => {
    const order = res.locals.order!;
    const parsed = readRepliesForm.safeParse(req.body ?? {});
    if (!parsed.success) throw createError(400, `Nothing was marked read: ${parsed.error.issues[0]!.message}.`);
    const marked = await replies.markOrderRead(order.id, parsed.data.upTo, res.locals.currentStaff!.id);
    const texts = (count: number) => (count === 1 ? 'text' : `${count} texts`);
    setFlash(req, marked > 0
      ? { kind: 'success', message: `${order.customerName}'s ${texts(marked)} marked read.` }
      : { kind: 'info', message: `${order.customerName}'s texts were already marked read; nothing changed.` });
    res.redirect(303, parsed.data.from === 'order' ? orderPage(order) : rowOnBoard(order));
  });

  // By hand, for a customer who called: any signed-in staff, recorded with who did it.
  router.post('/orders/:orderId/opt-out', async (req, res) => {
    const order = res.locals.order!;
    const { changed, cancelled } = await optOuts.optOut(order.phone, { source: 'staff', staffId: res.locals.currentStaff!.id });
    const unsent = cancelled > 0 ? ` ${cancelled === 1 ? 'A text still queued was' : `${cancelled} texts still queued were`} cancelled.` : '';
    setFlash(req, changed
      ? { kind: 'success', message: `${order.customerName} (${order.phone}) gets no more texts.${unsent}` }
      : { kind: 'info', message: `${order.customerName} (${order.phone}) was already opted out; nothing changed.` });
    res.redirect(303, orderPage(order));
  });

  router.post('/orders/:orderId/opt-in', async (req, res) => {
    const order = res.locals.order!;
    const { changed } = await optOuts.optIn(order.phone, { source: 'staff', staffId: res.locals.currentStaff!.id });
    setFlash(req, changed
      ? { kind: 'success', message: `${order.customerName} (${order.phone}) can be texted again.` }
      : { kind: 'info', message: `${order.customerName} (${order.phone}) was not opted out; nothing changed.` });
    res.redirect(303, orderPage(order));
  });

  /** The US and Canada refuse alphanumeric sender names: said under any flash about a text to a +1 number. */
  const withOriginatorWarning = (flash: Flash, order: Order): Flash => {
    const warning = northAmericaWarning(deps.originator, order.phone);
    return warning ? { ...flash, details: [...(flash.details ?? []), warning] } : flash;
  };

  /** Sends the outcome back to the order's row, or refuses (409) when the customer opted out. */
  const answerNotify = async (req: Request, res: Response, result: NotifyResult) => {
    if (result.outcome === 'opted-out') {
      res.status(409);
      res.locals.flash = { kind: 'error', message: `Nothing was sent: ${describeOptOut(result.order.customerName, result.optOut, formatTime)} and gets no more texts.` };
      return renderRefusal(req, res);
    }
    setFlash(req, withOriginatorWarning(notifyFlash(result, formatTime), result.order));
    res.redirect(303, fromOrderPage(req) ? orderPage(result.order) : rowOnBoard(result.order));
  };

  router.post('/orders/:orderId/status', async (req, res) => {
    const order = res.locals.order!;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const refuse = (reason: string) => {
      res.status(400);
      res.locals.flash = { kind: 'error', message: `Status of ${order.customerName}'s order not changed: ${reason}.` };
      return renderRefusal(req, res, new Map([[order.id, typedChoice(body, order)]]));
    };
    const parsed = statusForm.safeParse(body);
    if (!parsed.success) return refuse(parsed.error.issues[0]!.message);
    const { status, expectedStatus, text } = parsed.data;
    const delayMinutes = parsed.data.quickDelay ?? parsed.data.delayMinutes;
    // Only a change to delayed needs minutes: from a page showing delayed it is a repeat or a conflict.
    if (status === 'delayed' && expectedStatus !== 'delayed' && delayMinutes === undefined) return refuse(delayRule);

    const delay = status === 'delayed' && delayMinutes !== undefined ? { minutes: delayMinutes, lateAfterMinutes: deps.lateAfterMinutes } : undefined;
    const reason = status === 'cancelled' && parsed.data.reason ? parsed.data.reason : undefined;
    const { update, text: texted } = (await notifier.changeStatus(order.id, { status, expectedStatus, delay, reason, textCustomer: text !== undefined }, res.locals.currentStaff!.id))!;
    if (update.outcome === 'conflict') {
      res.status(409);
      res.locals.flash = { kind: 'error', message: `${changedSince(update.order, update.latestChange)} Your choice, ${status}, was not saved${text ? ' and nothing was sent' : ''}.` };
      return renderRefusal(req, res);
    }
    setFlash(req, update.outcome === 'changed'
      ? withOriginatorWarning(withStoppedTexts(changeFlash({ update, text: texted }, formatTime), update.cancelledTexts), update.order)
      : { kind: 'info', message: `${order.customerName}'s order was already ${update.order.status}; nothing changed${text ? ' and nothing was sent' : ''}.` });
    res.redirect(303, parsed.data.from === 'order' ? orderPage(update.order) : rowOnBoard(res.locals.order!));
  });

  router.post('/orders/:orderId/notify', async (req, res) => {
    if (!(await notifyAllowed(req, res))) return;
    await answerNotify(req, res, (await notifier.notify(res.locals.order!.id, res.locals.currentStaff!.id))!);
  });

  // "Send again" is its own button and route, so a double click on Notify can never text twice.
  router.post('/orders/:orderId/resend', async (req, res) => {
    if (!(await notifyAllowed(req, res))) return;
    await answerNotify(req, res, (await notifier.notify(res.locals.order!.id, res.locals.currentStaff!.id, { resend: true }))!);
  });

  return router;
}

/** Back to the order's own row on the board, which the board script focuses, not to the top. */
function rowOnBoard(order: Order): string {
  return `/#order-${encodeURIComponent(order.id)}`;
}

/** Load or 404 in one place for every route with an :orderId (this router's and the order form's). */
export function loadOrder(orders: OrderRepository): RequestParamHandler {
  return async (_req, res, next, orderId: string) => {
    const order = isOrderId(orderId) ? await orders.findById(orderId) : undefined;
    if (!order) throw createError(404, 'There is no order with that id.');
    res.locals.order = order;
    next();
  };
}

export function orderPage(order: Order): string {
  return `/orders/${encodeURIComponent(order.id)}`;
}

/** What a refused status form had in the row, to show it again as it was. */
function typedChoice(body: Record<string, unknown>, order: Order): RowChoice {
  const status = orderStatuses.find((candidate) => candidate === body.status) ?? order.status;
  return {
    status,
    delayMinutes: typeof body.delayMinutes === 'string' ? body.delayMinutes.slice(0, 10) : undefined,
    reason: typeof body.reason === 'string' ? body.reason.slice(0, cancelReasonMaxLength * 2) : undefined,
    textCustomer: body.text !== undefined,
  };
}

/** A change stops the texts still queued about the order's earlier statuses: the flash says how many. */
function withStoppedTexts(flash: Flash, cancelledTexts: number): Flash {
  if (cancelledTexts === 0) return flash;
  const stopped = cancelledTexts === 1
    ? 'A text still queued about an earlier status was not sent.'
    : `${cancelledTexts} texts still queued about earlier statuses were not sent.`;
  return { ...flash, details: [...(flash.details ?? []), stopped] };
}

/** Both halves of Update with "Text the customer": the new status, and how the text went. */
function changeFlash({ update, text }: ChangeResult, formatTime: TimeFormatter): Flash {
  const order = update.order;
  const name = order.customerName;
  const delay = order.status === 'delayed' && order.delayMinutes !== null && order.expectedAt !== null
    ? ` (${delayText(order.delayMinutes)} late, expected around ${formatTime(order.expectedAt)})` : '';
  const why = order.status === 'cancelled' && order.cancelReason ? ` (${order.cancelReason})` : '';
  const changed = `${name}'s order is now ${order.status}${delay}${why}`;
  if (!text) return { kind: 'success', message: `${changed}.` };
  // The change is saved; only the text is refused, as Notify would refuse it.
  if (text.outcome === 'opted-out') return { kind: 'info', message: `${changed}, but nothing was sent: ${describeOptOut(name, text.optOut, formatTime)} and gets no more texts.` };
  if (text.outcome === 'queued') {
    const { message } = text;
    const reasons = message.errorDescription?.split('\n') ?? [];
    switch (message.state) {
      case 'sent':
      case 'delivered':
        return { kind: 'success', message: `${changed} and ${name} was texted.` };
      case 'not-sent':
        return { kind: 'info', message: `${changed}, but nothing was sent: no MessageBird API key is configured. ${name} would have received: “${message.body}”` };
      case 'failed':
      case 'expired':
        return { kind: 'error', message: `${changed}, but MessageBird refused it: ${reasons.length > 0 ? reasons.join('; ') : `the message ${message.state}`}.` };
      default:
        break;
    }
  }
  // On its way, retried later or not queued: the same words as Notify, after the change.
  const outcome = notifyFlash(text, formatTime);
  return { ...outcome, message: `${changed}. ${outcome.message}` };
}

/** How a text went: one about the order's status (Notify, Send again), or staff's answer to the customer. */
function notifyFlash(result: Exclude<NotifyResult, { outcome: 'opted-out' }>, formatTime: TimeFormatter): Flash {
  const { outcome, order, message } = result;
  const name = order.customerName;
  const answer = message.kind === 'answer';
  // Where staff see the text's state move on: the board's row, or the order's page for an answer.
  const progress = answer ? 'The order’s page shows its progress' : 'The board shows its progress';
  if (outcome === 'already-sent') {
    return {
      kind: 'info',
      message: answer
        ? `That text to ${name} was already sent (at ${formatTime(message.requestedAt)}, now ${message.state}); it was not sent again.`
        : `${name} was already texted that their order is ${message.orderStatus} (at ${formatTime(message.requestedAt)}, now ${message.state}). Nothing was sent. Use “Send again” to text them once more.`,
    };
  }
  const reasons = message.errorDescription?.split('\n') ?? [];
  switch (message.state) {
    case 'sent':
    case 'delivered':
      return { kind: 'success', message: answer ? `Your text to ${name} was sent.` : `${name} was notified that their order is ${message.orderStatus}` };
    case 'not-sent':
      return { kind: 'info', message: `Nothing was sent: no MessageBird API key is configured. ${name} would have received: “${message.body}”` };
    case 'failed':
    case 'expired':
      return { kind: 'error', message: `Could not text ${name}: the message ${message.state === 'expired' ? 'expired' : 'failed'}`, details: reasons };
    case 'queued':
      if (message.attempts > 0) {
        return { kind: 'info', message: `Not sent yet to ${name}; Order Desk will try again at ${formatTime(message.nextAttemptAt!)}. ${progress}.`, details: reasons };
      }
      return { kind: 'info', message: `The message to ${name} is queued and will be sent shortly; ${progress.toLowerCase()}.` };
    case 'sending':
      return { kind: 'info', message: `MessageBird is slow to answer: the message to ${name} is on its way and ${progress.toLowerCase()}.` };
    case 'checking':
      return { kind: 'info', message: `No clear answer from MessageBird: checking with MessageBird whether ${name} got the message before sending it again. ${progress}.`, details: reasons };
    case 'cancelled':
      return { kind: 'error', message: `Nothing was sent: ${name} opted out before the message went out.` };
  }
}
