/**
 * Text a person has typed but not yet sent (an approval comment), kept outside the component that
 * shows it. A list that loads again, a tab switched away and back, or a look at the version page
 * mounts the card afresh; the draft is still there. Drafts are per principal, so a comment typed as
 * one person never appears for another (the local picker switches people in one page). They live
 * in memory for the page's life only: nothing typed is written to storage.
 */
export class Drafts {
  readonly #texts = new Map<string, string>();

  static key(who: string, subject: string): string {
    return JSON.stringify([who, subject]);
  }

  get(key: string): string {
    return this.#texts.get(key) ?? '';
  }

  set(key: string, text: string): void {
    if (text) this.#texts.set(key, text);
    else this.#texts.delete(key);
  }
}

/** The page's drafts: one book for the page's life. */
export const drafts = new Drafts();
