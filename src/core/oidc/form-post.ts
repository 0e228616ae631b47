/** Escapes text for HTML content and double-quoted attributes. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The script that submits the form; served from /assets so the page needs no inline script (strict CSP). */
export const FORM_POST_SCRIPT = '/assets/form-post.js';

/**
 * OAuth 2.0 Form Post Response Mode §2: an HTML page whose form POSTs the response parameters to
 * the redirect URI. The form is submitted by a script file (allowed by `script-src 'self'`), and
 * a Continue button inside <noscript> does the same without JavaScript.
 */
export function renderFormPost(action: string, params: Record<string, string>): string {
  const fields = Object.entries(params)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n    ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Returning to the application · Latchkey</title>
<link rel="stylesheet" href="/assets/latchkey.css">
<script src="${FORM_POST_SCRIPT}" defer></script>
</head>
<body>
<main id="main">
<section class="card narrow" aria-labelledby="form-post-title">
  <h1 id="form-post-title">Returning to the application…</h1>
  <form method="post" action="${escapeHtml(action)}" data-auto-submit>
    ${fields}
    <noscript><p>JavaScript is turned off. Press Continue to return to the application.</p>
    <button type="submit" class="primary">Continue</button></noscript>
  </form>
</section>
</main>
</body>
</html>`;
}
