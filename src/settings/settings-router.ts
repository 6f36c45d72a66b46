import { Router } from 'express';
import type { Response } from 'express';
import { z } from 'zod';
import { orderStatuses } from '../orders/order-status.ts';
import type { OrderStatus } from '../orders/order-status.ts';
import { requireAdmin } from '../staff/authentication.ts';
import { setFlash } from '../web/flash.ts';
import type { SettingsRepository } from './settings-repository.ts';

// The form posts every ticked status; an unticked box sends nothing, so no field means none ticked.
const settingsForm = z.object({
  textCustomer: z.preprocess(
    (value) => (value === undefined ? [] : [value].flat()),
    z.array(z.enum(orderStatuses, { error: `Statuses are ${orderStatuses.join(', ')}` })),
  ),
});

export function createSettingsRouter(deps: { settings: SettingsRepository }): Router {
  const { settings } = deps;
  const router = Router();
  router.use('/settings', requireAdmin);

  const render = (res: Response, ticked: ReadonlySet<string>) =>
    res.render('settings', { title: 'Settings', statuses: orderStatuses, ticked });

  router.get('/settings', async (_req, res) => render(res, await settings.textDefaults()));

  router.post('/settings', async (req, res) => {
    const parsed = settingsForm.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400);
      res.locals.flash = { kind: 'error', message: `Settings not saved: ${parsed.error.issues[0]!.message}.` };
      return render(res, await settings.textDefaults());
    }
    const ticked = new Set<OrderStatus>(parsed.data.textCustomer);
    await settings.setTextDefaults(ticked);
    const list = orderStatuses.filter((status) => ticked.has(status));
    setFlash(req, { kind: 'success', message: `Saved. “Text the customer” now starts ticked for ${list.length > 0 ? list.join(', ') : 'no status'}.` });
    res.redirect(303, '/settings');
  });

  return router;
}
