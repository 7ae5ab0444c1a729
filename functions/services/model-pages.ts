import { getModel, type Page } from '#adapters/registry-table';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import { NotFoundError } from '#commons/errors';

/**
 * A page of what a model holds (versions, deployments), behind a cursor bound to the listing's
 * `scope`. An empty first page is read as "no such model" when the model does not exist (one
 * read more only then), so a listing under a missing model is a 404, not an empty list.
 */
export const pageUnderModel = async <T>(
  model: string,
  scope: string,
  cursor: string | undefined,
  read: (startKey: Record<string, unknown> | undefined) => Promise<Page<T>>,
): Promise<{ items: T[]; nextCursor: string | undefined }> => {
  const page = await read(await decodeCursor(cursor, scope));
  if (page.items.length === 0 && !cursor && !(await getModel(model)))
    throw new NotFoundError(`model ${model} does not exist`);
  return { items: page.items, nextCursor: await encodeCursor(page.lastKey, scope) };
};
