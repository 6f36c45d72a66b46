import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { core } from 'zod';

// RFC 9457 problem details: every /api error is one of these, never an HTML page.
// https://www.rfc-editor.org/rfc/rfc9457
export const problemSchema = z.object({
  type: z.string().meta({ description: '"about:blank": the status code says what happened' }),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  instance: z.string(),
  errors: z.array(z.object({
    pointer: z.string().meta({ description: 'JSON Pointer (RFC 6901) to the field, as a URI fragment, e.g. "#/customer/phone"' }),
    detail: z.string(),
  })).optional().meta({ description: 'One entry per invalid field' }),
});

export type Problem = z.infer<typeof problemSchema>;
export type FieldProblem = NonNullable<Problem['errors']>[number];

export function sendProblem(req: Request, res: Response, status: number, detail: string, errors?: FieldProblem[]): void {
  const problem: Problem = { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, instance: req.originalUrl, ...(errors ? { errors } : {}) };
  res.status(status).type('application/problem+json').json(problem);
}

const pointer = (path: readonly PropertyKey[]) =>
  `#/${path.map((part) => String(part).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

/** One field problem per zod issue; an unknown key is pointed at itself. */
export function fieldProblems(issues: readonly core.$ZodIssue[]): FieldProblem[] {
  return issues.flatMap((issue) => issue.code === 'unrecognized_keys'
    ? issue.keys.map((key) => ({ pointer: pointer([...issue.path, key]), detail: 'This field is not part of an order.' }))
    : [{ pointer: pointer(issue.path), detail: issue.message }]);
}
