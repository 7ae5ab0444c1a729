import { createHash } from 'node:crypto';
import { escapeHtml } from '#domain/html';

/**
 * Times for people. The server cannot know the reader's zone, so every time is written in UTC
 * inside a `<time datetime>` (readable with scripts off), and one small static script, allowed by
 * its hash in the page's CSP (no nonce to mint, nothing inline but this exact text), puts the
 * reader's local time first and keeps UTC beside it.
 */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** `Dec 9, 17:37 UTC`, or with the year: `Dec 9, 2026, 17:37 UTC`. */
export const utcText = (iso: string, withYear = true): string => {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const day = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}${withYear ? `, ${d.getUTCFullYear()}` : ''}`;
  return `${day}, ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`;
};

/** `in 3 days`, `in 5 hours`, `in 20 minutes`, `2 days ago`: the distance from `now`, rounded down. */
export const relativeText = (iso: string, now: Date): string => {
  const ms = new Date(iso).getTime() - now.getTime();
  const abs = Math.abs(ms);
  const minutes = Math.floor(abs / 60_000);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  const [n, unit] =
    days >= 2 ? [days, 'day'] : hours >= 1 ? [hours, 'hour'] : [Math.max(minutes, 1), 'minute'];
  const amount = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return ms >= 0 ? `in ${amount}` : `${amount} ago`;
};

/** A time element the page script turns into the reader's local time, with UTC kept. */
export const timeTag = (iso: string): string =>
  `<time datetime="${escapeHtml(iso)}" data-local>${escapeHtml(utcText(iso))}</time>`;

/** The page script: local time first, the server's UTC text after it (left alone for a reader in UTC). */
export const LOCAL_TIME_SCRIPT =
  "if(Intl.DateTimeFormat().resolvedOptions().timeZone!=='UTC')" +
  "for(const t of document.querySelectorAll('time[data-local]')){const d=new Date(t.dateTime);" +
  "if(isNaN(d))continue;const f=new Intl.DateTimeFormat(undefined,{year:'numeric',month:'short',day:'numeric'," +
  "hour:'2-digit',minute:'2-digit',timeZoneName:'short'});const u=t.textContent;" +
  "t.textContent=f.format(d)+' ('+u+')';t.title=u;}";

/** `'sha256-…'`, the CSP source that allows exactly LOCAL_TIME_SCRIPT. */
export const LOCAL_TIME_SCRIPT_HASH = `'sha256-${createHash('sha256').update(LOCAL_TIME_SCRIPT).digest('base64')}'`;
