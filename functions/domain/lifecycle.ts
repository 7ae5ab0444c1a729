import * as z from 'zod';
import { schema } from './schema.ts';

/**
 * The version lifecycle. Storage enforces these moves with conditional writes built from
 * `sourcesOf`, so two writers can never both move a version, and nothing moves off the graph.
 *
 *   PENDING_UPLOAD -> READY | FAILED
 *   READY -> DEPRECATED -> ARCHIVED, READY -> ARCHIVED
 */
export const VersionStatus = /* @__PURE__ */ schema(() =>
  z.enum(['PENDING_UPLOAD', 'READY', 'FAILED', 'DEPRECATED', 'ARCHIVED']).meta({
    description:
      'PENDING_UPLOAD until the bytes are uploaded and committed; READY once they match the registered hash and size; FAILED when they did not, or when no upload came before the pending-upload expiry (statusReason says which); DEPRECATED (usable, discouraged); ARCHIVED (final).',
    example: 'READY',
  }),
);
export type VersionStatus = z.infer<typeof VersionStatus>;

const MOVES: Readonly<Record<VersionStatus, readonly VersionStatus[]>> = {
  PENDING_UPLOAD: ['READY', 'FAILED'],
  READY: ['DEPRECATED', 'ARCHIVED'],
  DEPRECATED: ['ARCHIVED'],
  FAILED: [],
  ARCHIVED: [],
};

export const canMove = (from: VersionStatus, to: VersionStatus): boolean => MOVES[from].includes(to);

/** Every status a version may be in to move to `to`. */
export const sourcesOf = (to: VersionStatus): VersionStatus[] =>
  VersionStatus.options.filter((from) => canMove(from, to));

/** Moves a caller may ask for through the transitions route; the others happen at commit. */
export const ManualTarget = /* @__PURE__ */ schema(() => z.enum(['DEPRECATED', 'ARCHIVED']));
export type ManualTarget = z.infer<typeof ManualTarget>;

/** A version can be served, aliased and approved only while READY. */
export const isServable = (status: VersionStatus): boolean => status === 'READY';
