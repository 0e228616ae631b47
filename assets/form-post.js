// OAuth 2.0 Form Post Response Mode: submit the response form as soon as the page is parsed.
// Served as a file so that the page's Content-Security-Policy needs no inline script.
document.querySelector('form[data-auto-submit]')?.submit();
