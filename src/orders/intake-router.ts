import { Router } from 'express';
import type { Response } from 'express';
import { z } from 'zod';
import { setFlash } from '../web/flash.ts';
import type { TimeFormatter } from '../web/format.ts';
import { pauseMinutes } from './intake-pauses.ts';
import type { IntakePauseRepository } from './intake-pauses.ts';

const choices = `Pick one of ${pauseMinutes.join(', ')} minutes.`;
const pauseForm = z.object({
  minutes: z.coerce.number({ error: choices }).refine((minutes) => (pauseMinutes as readonly number[]).includes(minutes), choices),
});

/**
 * The Online orders page: staff pause the shop's orders when the kitchen is swamped, and open them
 * again. Every signed-in account may: it is the kitchen's call in a rush, not an admin's.
 */
export function createIntakeRouter(deps: { intake: IntakePauseRepository; formatTime: TimeFormatter }): Router {
  const { intake, formatTime } = deps;
  const router = Router();

  const renderPage = async (res: Response, error?: string) =>
    res.render('intake', { title: 'Online orders', pause: await intake.current(), recent: await intake.recent(), pauseMinutes, error });

  router.get('/intake', (_req, res) => renderPage(res));

  router.post('/intake/pause', async (req, res) => {
    const parsed = pauseForm.safeParse(req.body ?? {});
    if (!parsed.success) return renderPage(res.status(400), parsed.error.issues[0]!.message);
    const pause = await intake.pause(parsed.data.minutes, res.locals.currentStaff!.id);
    req.log.info({ by: res.locals.currentStaff!.id, until: pause.until }, 'online orders paused');
    setFlash(req, { kind: 'success', message: `Online orders are paused until ${formatTime(pause.until)}: the shop’s new orders for as soon as possible are refused until then. Orders typed in here still come in.` });
    res.redirect(303, '/');
  });

  router.post('/intake/resume', async (req, res) => {
    if (await intake.resume(res.locals.currentStaff!.id)) {
      req.log.info({ by: res.locals.currentStaff!.id }, 'online orders resumed');
      setFlash(req, { kind: 'success', message: 'Online orders are open again.' });
    } else {
      setFlash(req, { kind: 'info', message: 'Online orders were not paused (the pause may have ended by itself).' });
    }
    res.redirect(303, '/');
  });

  return router;
}
