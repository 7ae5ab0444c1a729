import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { eventually } from '../eventually.ts';

/**
 * A named pipe as an artifact source holds a copy open until the test writes to it. The tests
 * must act once the copy is really reading, not after a guessed sleep: opening the write end
 * without blocking fails (ENXIO) until a reader has the pipe open.
 */
/** The write end of `path`, once something reads it; fails loudly when nothing ever does. */
export const writerOnceRead = (path: string): Promise<FileHandle> =>
  eventually(`a reader on the pipe ${path}`, async () => {
    try {
      return await open(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENXIO') return undefined;
      throw error;
    }
  });
