import { z } from 'zod';
import type { IntakePause } from '../orders/intake-pauses.ts';

/** GET /api/intake: whether the kitchen takes online orders now. */
export const intakeAnswer = z.object({
  open: z.boolean(),
  pausedUntil: z.iso.datetime().nullable().meta({ description: 'When the pause ends; null while orders are open' }),
});

export function toIntakeAnswer(pause: IntakePause | undefined): z.infer<typeof intakeAnswer> {
  return pause ? { open: false, pausedUntil: pause.until } : { open: true, pausedUntil: null };
}
