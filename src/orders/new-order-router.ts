import { Router } from 'express';
import type { Response } from 'express';
import type { CountryCode } from 'libphonenumber-js/max';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { setFlash } from '../web/flash.ts';
import { customerName, deliveryAddress, items, mobileNumber, note, orderLimits } from './order-input.ts';
import type { OrderRepository } from './order-repository.ts';

type TypedForm = { customerName: string; phone: string; deliveryAddress: string; items: string; note: string; formToken: string };

const formTokenPattern = /^[0-9a-f]{32}$/;
const newFormToken = () => randomBytes(16).toString('hex');

const fields = ['customerName', 'phone', 'deliveryAddress', 'items', 'note'] as const;

function newOrderForm(defaultCountry: CountryCode) {
  return z.object({
    customerName,
    phone: mobileNumber(defaultCountry),
    deliveryAddress: deliveryAddress.optional().transform((value) => value ?? null),
    // One item per line; blank lines are left out.
    items: z.string({ error: 'List the items, one per line.' })
      .transform((text) => text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== ''))
      .pipe(items),
    note: note.optional().transform((value) => value ?? null),
    // Sent with each form: the same form posted twice (double click, resend after a timeout) is one order.
    formToken: z.string().regex(formTokenPattern).optional().catch(undefined).transform((value) => value ?? null),
  });
}

/** Staff type in an order taken by phone or at the counter: GET/POST /orders/new. */
export function createNewOrderRouter(deps: { orders: OrderRepository; defaultCountry: CountryCode }): Router {
  const { orders, defaultCountry } = deps;
  const schema = newOrderForm(defaultCountry);
  const router = Router();

  const renderForm = (res: Response, form: TypedForm, errors = new Map<string, string>()) =>
    res.render('new-order', { title: 'New order', form, errors, limits: orderLimits, defaultCountry });

  router.get('/orders/new', (_req, res) => {
    renderForm(res, { customerName: '', phone: '', deliveryAddress: '', items: '', note: '', formToken: newFormToken() });
  });

  router.post('/orders/new', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typedValue = (name: string) => (typeof body[name] === 'string' ? body[name] : '');
    const typed = {
      customerName: typedValue('customerName'), phone: typedValue('phone'),
      deliveryAddress: typedValue('deliveryAddress'), items: typedValue('items'), note: typedValue('note'),
      // A refused form made no order, so its token stays valid for the corrected one.
      formToken: formTokenPattern.test(typedValue('formToken')) ? typedValue('formToken') : newFormToken(),
    };
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      // The first problem of each field, shown next to it.
      const errors = new Map<string, string>();
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0] ?? '');
        if ((fields as readonly string[]).includes(field) && !errors.has(field)) errors.set(field, issue.message);
      }
      return renderForm(res.status(400), typed, errors);
    }
    const result = await orders.create({ ...parsed.data, externalId: null, createdBy: res.locals.currentStaff!.id, apiKeyId: null });
    const { order } = result;
    if (result.outcome === 'exists' && result.sameOrder) {
      setFlash(req, { kind: 'info', message: `Order #${order.number} for ${order.customerName} was already added by this form; nothing new was added.` });
      return res.redirect(303, '/');
    }
    if (result.outcome === 'exists') {
      // An old form, changed and sent again: keep what was typed and let staff decide.
      res.locals.flash = { kind: 'error', message: `This form was already used for order #${order.number} (${order.customerName}), so nothing was added. Press “Add order” again to add this as a new order.` };
      return renderForm(res.status(409), { ...typed, formToken: newFormToken() });
    }
    req.log.info({ orderId: order.id, number: order.number }, 'order added by staff');
    setFlash(req, { kind: 'success', message: `Order #${order.number} for ${order.customerName} added.` });
    res.redirect(303, '/');
  });

  return router;
}
