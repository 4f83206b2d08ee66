// The edge's one way in: request data parsed with the shared zod schemas into typed values.

import { z } from 'zod';
import { DarkroomError } from '../domain/errors.js';
import { describeIssues } from '../domain/job.js';

/** The `:id` of a job or image route. */
export const IdParams = z.object({ id: z.string().min(1).max(64) });

export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new DarkroomError('invalid_parameter', describeIssues(result.error));
  return result.data;
}
