/**
 * `GET /local/outbox` filters: `to` (the recipient, any case), `subject` (a part of it, any
 * case), `since` (ISO time, inclusive) and `limit` (the newest n). An unknown filter or a bad
 * value is a 400 naming it, rather than a silently unfiltered list.
 */
interface Mail {
  to: string;
  subject: string;
  at: string;
}

const FILTERS = new Set(['to', 'subject', 'since', 'limit']);

export const outboxView = <T extends Mail>(mails: T[], query: URLSearchParams) => {
  const errors: { path: string; message: string }[] = [];
  for (const key of query.keys())
    if (!FILTERS.has(key))
      errors.push({ path: `query.${key}`, message: 'not a filter: to, subject, since, limit' });
  const since = query.get('since');
  if (since !== null && Number.isNaN(Date.parse(since)))
    errors.push({ path: 'query.since', message: 'an ISO 8601 time' });
  const limit = query.get('limit');
  if (limit !== null && !/^[1-9]\d{0,4}$/.test(limit))
    errors.push({ path: 'query.limit', message: 'a whole number from 1' });
  if (errors.length)
    return {
      status: 400,
      body: {
        type: 'https://steward.dev/problems/invalid-request',
        title: 'Invalid request',
        status: 400,
        detail: `${errors.length} invalid filter${errors.length > 1 ? 's' : ''}`,
        errors,
      },
    };
  const to = query.get('to')?.toLowerCase();
  const subject = query.get('subject')?.toLowerCase();
  let out = mails.filter(
    (m) =>
      (to === undefined || m.to.toLowerCase() === to) &&
      (subject === undefined || m.subject.toLowerCase().includes(subject)) &&
      (since === null || Date.parse(m.at) >= Date.parse(since)),
  );
  if (limit !== null) out = out.slice(-Number(limit));
  return { status: 200, body: out };
};
