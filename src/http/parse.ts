// The edge's one way in: request data parsed with the shared zod schemas into typed values.

import type { z } from 'zod';
import { DarkroomError } from '../domain/errors.js';
import { describeIssues } from '../domain/job.js';

export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new DarkroomError('invalid_parameter', describeIssues(result.error));
  return result.data;
}
