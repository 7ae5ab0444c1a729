import { escapeHtml } from '#domain/html';
import { LOCAL_TIME_SCRIPT, LOCAL_TIME_SCRIPT_HASH } from './time.ts';

/**
 * The shell of every page Steward serves to people: responsive, `noindex`, styles inline, one
 * script (the local-time one, allowed by its hash) and nothing loaded from anywhere.
 */
export const PAGE_CSP =
  `default-src 'none'; script-src ${LOCAL_TIME_SCRIPT_HASH}; style-src 'unsafe-inline'; img-src data:; ` +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Headers of every page: nothing cached, nothing leaked through Referer, nothing but our own form. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': PAGE_CSP,
} as const;

const STYLE = `
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1f2328;line-height:1.5}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem;border-bottom:1px solid #d1d9e0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{color:#59636e}dd{margin:0}
table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #d1d9e0;padding:.2rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
textarea{width:100%;min-height:4rem;font:inherit}.buttons{display:flex;gap:1rem;margin-top:1rem}
button{font:inherit;padding:.5rem 1.4rem;border-radius:6px;border:1px solid #d1d9e0;cursor:pointer}
.approve{background:#1f883d;color:#fff;border-color:#1f883d}.reject{background:#cf222e;color:#fff;border-color:#cf222e}
.note{color:#59636e;font-size:.9rem}.up{color:#116329}.down{color:#a40e26}.changed{font-weight:600}
.callout{border:1px solid #d1d9e0;border-left:4px solid #0969da;padding:.6rem 1rem;border-radius:6px;background:#f6f8fa}
.callout.warn{border-left-color:#9a6700}.callout.bad{border-left-color:#cf222e}.callout.good{border-left-color:#1f883d}
figure{margin:.6rem 0;overflow-x:auto}.badge{font-size:.8rem;font-weight:600;padding:.05rem .5rem;border-radius:1rem;border:1px solid}
.badge.bad{color:#a40e26;border-color:#cf222e;background:#ffebe9}.badge.good{color:#116329;border-color:#1a7f37;background:#dafbe1}svg{max-width:100%;height:auto}
code{font-size:.9em;background:#f6f8fa;padding:0 .2em;border-radius:3px;word-break:break-all}
@media (max-width:36rem){dl{grid-template-columns:1fr}dt{font-weight:600}}
`;

/**
 * A whole page. `standalone` pages are opened as files or from S3 (a drift report), where no
 * server sets headers: they carry the same policy in a meta element.
 */
export const page = (
  title: string,
  body: string,
  options: { standalone?: boolean } = {},
): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${options.standalone ? `<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP.replace(/ form-action[^;]*;| frame-ancestors[^;]*;/g, '')}">\n` : ''}<meta name="robots" content="noindex"><title>${escapeHtml(title)} · Steward</title>
<style>${STYLE}</style></head><body>
<main>
${body}
</main>
<script>${LOCAL_TIME_SCRIPT}</script>
</body></html>
`;
