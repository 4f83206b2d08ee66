// AUTOMATIC1111-compatible API (/sdapi/v1/*). Filled in below.

import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../context.js';

export async function a1111Routes(_app: FastifyInstance, _context: HttpContext) {}
