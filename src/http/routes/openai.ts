// OpenAI-compatible image API (/v1/images/*, /v1/models). Filled in below.

import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../context.js';

export async function openAiRoutes(_app: FastifyInstance, _context: HttpContext) {}
