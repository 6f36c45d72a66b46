import { Router } from 'express';
import type { Request, Response } from 'express';
import type { CountryCode } from 'libphonenumber-js/max';
import createError from 'http-errors';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { setFlash } from '../web/flash.ts';
import { customerName, deliveryAddress, fieldLabels, fieldText, items, mobileNumber, note, orderLimits } from './order-input.ts';
import type { Order, OrderRepository } from './order-repository.ts';
import { editableFields, orderDigest } from './order-repository.ts';
import { isFinished } from './order-status.ts';
import { loadOrder, orderPage } from './orders-router.ts';
import { isForLaterDay, scheduleMaxDays, scheduleProblem } from './schedule.ts';
import type { ZonedCalendar } from '../web/zoned-days.ts';
import type { TimeFormatter } from '../web/format.ts';

/**
 * What the form's fields hold, as typed (or as stored, when a correction starts); the time asked
 * for as a datetime-local field holds it, on the kitchen's clock ("2026-12-05T19:30").
 */
type TypedForm = { customerName: string; phone: string; deliveryAddress: string; items: string; note: string; scheduledFor: string };

const formTokenPattern = /^[0-9a-f]{32}$/;
const newFormToken = () => randomBytes(16).toString('hex');

function orderForm(defaultCountry: CountryCode, calendar: ZonedCalendar) {
  return z.object({
    customerName,
    phone: mobileNumber(defaultCountry),
    deliveryAddress: deliveryAddress.optional().transform((value) => value ?? null),
    // One item per line; blank lines are left out.
    items: z.string({ error: 'List the items, one per line.' })
      .transform((text) => text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== ''))
      .pipe(items),
    note: note.optional().transform((value) => value ?? null),
    // Empty: as soon as possible. Otherwise the kitchen's wall clock, as an instant.
    scheduledFor: z.string().optional().transform((value, context) => {
      if (!value || value.trim() === '') return null;
      const at = calendar.instantOf(value.trim());
      if (at) return at.toISOString();
      context.issues.push({ code: 'custom', message: 'Give the day and the time, e.g. today at 19:30 (a time the clocks skip does not exist).', input: value });
      return z.NEVER;
    }),
  });
}

const orderName = (order: Order) => `${order.number === null ? '' : `#${order.number} `}(${order.customerName})`;

/**
 * The order form: staff type in an order taken by phone or at the counter (GET/POST /orders/new),
 * and correct one that came in (GET/POST /orders/:orderId/edit).
 */
export function createOrderFormRouter(deps: { orders: OrderRepository; defaultCountry: CountryCode; calendar: ZonedCalendar; formatTime: TimeFormatter; now?: () => Date }): Router {
  const { orders, defaultCountry, calendar, formatTime } = deps;
  const now = deps.now ?? (() => new Date());
  const schema = orderForm(defaultCountry, calendar);
  const router = Router();

  /** Where an order for later waits: on the board today, or on the Later page for another day. */
  const placeOfLater = (scheduledFor: string) => (isForLaterDay(scheduledFor, calendar, now()) ? ', on the Later page until its day' : '');

  const asTyped = (order: Order): TypedForm => ({
    customerName: order.customerName, phone: order.phone, deliveryAddress: order.deliveryAddress ?? '', items: order.items, note: order.note ?? '',
    scheduledFor: order.scheduledFor ? calendar.localInput(new Date(order.scheduledFor)) : '',
  });

  type FormPage = { order?: Order; form: TypedForm; hidden: Record<string, string>; errors?: Map<string, string> };
  const renderForm = (res: Response, page: FormPage) => {
    // The picker offers the days an order may be scheduled for (the server checks them again).
    const from = now();
    res.render('order-form', {
      title: page.order ? `Correct order ${orderName(page.order)}` : 'New order',
      order: page.order, form: page.form, hidden: page.hidden, errors: page.errors ?? new Map<string, string>(), limits: orderLimits, defaultCountry,
      schedule: { min: calendar.localInput(from), max: calendar.localInput(new Date(from.getTime() + scheduleMaxDays * 86_400_000)), timeZone: calendar.timeZone },
    });
  };

  /** The fields as sent, to show again whatever happens: nothing typed is lost. */
  const typedIn = (req: Request): TypedForm => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    return Object.fromEntries(editableFields.map((name) => [name, typeof body[name] === 'string' ? body[name] : ''])) as TypedForm;
  };

  /**
   * The parsed form, or else the first problem of each field, to show next to it. A time asked for
   * must be ahead when it is new: one the order already had stays as it is, even once it has passed.
   */
  const validate = (req: Request, order?: Order) => {
    const parsed = schema.safeParse(req.body ?? {});
    const errors = new Map<string, string>();
    if (parsed.success) {
      // The field shows minutes: the time the order has, shown and sent back, is kept to the second.
      if (order?.scheduledFor && parsed.data.scheduledFor && calendar.localInput(new Date(parsed.data.scheduledFor)) === calendar.localInput(new Date(order.scheduledFor))) {
        parsed.data.scheduledFor = order.scheduledFor;
      }
      const { scheduledFor } = parsed.data;
      const problem = scheduledFor && scheduledFor !== order?.scheduledFor ? scheduleProblem(new Date(scheduledFor), now()) : undefined;
      if (!problem) return { data: parsed.data };
      errors.set('scheduledFor', problem);
      return { errors };
    }
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? '');
      if ((editableFields as readonly string[]).includes(field) && !errors.has(field)) errors.set(field, issue.message);
    }
    return { errors };
  };

  router.param('orderId', loadOrder(orders));

  router.get('/orders/new', (_req, res) => {
    renderForm(res, { form: { customerName: '', phone: '', deliveryAddress: '', items: '', note: '', scheduledFor: '' }, hidden: { formToken: newFormToken() } });
  });

  router.post('/orders/new', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typed = typedIn(req);
    // Sent with each form: the same form posted twice (double click, resend after a timeout) is one order.
    // A refused form made no order, so its token stays valid for the corrected one.
    const sentToken = typeof body.formToken === 'string' && formTokenPattern.test(body.formToken) ? body.formToken : undefined;
    const formToken = sentToken ?? newFormToken();
    const { data, errors } = validate(req);
    if (!data) return renderForm(res.status(400), { form: typed, hidden: { formToken }, errors });
    const result = await orders.create({ ...data, externalId: null, formToken: sentToken ?? null, createdBy: res.locals.currentStaff!.id, apiKeyId: null });
    const { order } = result;
    if (result.outcome === 'exists' && result.sameOrder) {
      setFlash(req, { kind: 'info', message: `Order #${order.number} for ${order.customerName} was already added by this form; nothing new was added.` });
      return res.redirect(303, '/');
    }
    if (result.outcome === 'exists') {
      // An old form, changed and sent again: keep what was typed and let staff decide.
      res.locals.flash = { kind: 'error', message: `This form was already used for order #${order.number} (${order.customerName}), so nothing was added. Press “Add order” again to add this as a new order.` };
      return renderForm(res.status(409), { form: typed, hidden: { formToken: newFormToken() } });
    }
    req.log.info({ orderId: order.id, number: order.number }, 'order added by staff');
    // An order for later says when it is for: "#1" of tomorrow is not today's first order.
    const forLater = order.scheduledFor ? ` It is for ${formatTime(order.scheduledFor)}${placeOfLater(order.scheduledFor)}.` : '';
    setFlash(req, { kind: 'success', message: `Order #${order.number} for ${order.customerName} added.${forLater}` });
    res.redirect(303, '/');
  });

  router.get('/orders/:orderId/edit', (req, res) => {
    const order = res.locals.order!;
    if (isFinished(order.status)) {
      setFlash(req, { kind: 'info', message: `Order ${orderName(order)} was ${order.status}, so it can no longer be corrected.` });
      return res.redirect(303, orderPage(order));
    }
    renderForm(res, { order, form: asTyped(order), hidden: { version: orderDigest(order) } });
  });

  router.post('/orders/:orderId/edit', async (req, res) => {
    const order = res.locals.order!;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typed = typedIn(req);
    const seenVersion = typeof body.version === 'string' ? body.version : '';
    const { data, errors } = validate(req, order);
    if (!data) return renderForm(res.status(400), { order, form: typed, hidden: { version: seenVersion }, errors });
    const mine = { ...data, items: data.items.join('\n') };
    const result = await orders.edit(order.id, mine, seenVersion, res.locals.currentStaff!.id);
    if (!result) throw createError(404, 'There is no order with that id.');
    const current = result.order;
    if (result.outcome === 'finished') {
      res.locals.flash = { kind: 'error', message: `Nothing was saved: order ${orderName(current)} was ${current.status} meanwhile, and a ${current.status} order is not corrected any more.` };
      return renderForm(res.status(409), { order: current, form: typed, hidden: { version: seenVersion } });
    }
    if (result.outcome === 'conflict') {
      // What is saved now, where it differs from what was sent (both as stored: a number typed in
      // national form, or the browser's line ends, are no difference); Save again overwrites it.
      const differences = editableFields.filter((field) => current[field] !== mine[field])
        .map((field) => `Saved now as ${fieldLabels[field]}: ${fieldText(field, current[field], formatTime)}`);
      res.locals.flash = {
        kind: 'error',
        message: 'Nothing was saved: someone else corrected this order while you had it open. Check what is saved now; press “Save corrections” again to save yours over it.',
        details: differences,
      };
      return renderForm(res.status(409), { order: current, form: typed, hidden: { version: orderDigest(current) } });
    }
    if (result.outcome === 'unchanged') {
      setFlash(req, { kind: 'info', message: `Nothing was changed in order ${orderName(current)}.` });
      return res.redirect(303, orderPage(current));
    }
    req.log.info({ orderId: current.id, fields: result.changes.map((change) => change.field), cancelledTexts: result.cancelledTexts }, 'order corrected by staff');
    const cancelled = result.cancelledTexts === 0 ? [] : [
      `${result.cancelledTexts === 1 ? 'A text still queued for the old number was' : `${result.cancelledTexts} texts still queued for the old number were`} cancelled. Use Notify on the board to text the new number.`,
    ];
    setFlash(req, {
      kind: 'success',
      message: `Order ${orderName(current)} corrected: ${result.changes.map((change) => fieldLabels[change.field]).join(', ')}.`,
      details: cancelled,
    });
    res.redirect(303, orderPage(current));
  });

  return router;
}
