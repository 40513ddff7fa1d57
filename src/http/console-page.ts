/**
 * The web console's HTML page and style sheet, served as they are (no build step besides tsc: the
 * page's script is the compiled src/http/console/app.ts).
 */

/** The page at /: a frame the script fills in. */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stomp-broker</title>
<link rel="stylesheet" href="/console/console.css">
<script type="module" src="/console/app.js"></script>
</head>
<body>
<header><a href="#/">stomp-broker</a> <span>management console</span></header>
<div id="problem" role="alert"></div>
<main id="view">Loading…</main>
</body>
</html>
`;

/** The console's style sheet. */
export const CONSOLE_CSS = `
:root { font: 14px/1.4 system-ui, sans-serif; color: #1f2937; background: #f9fafb; }
body { margin: 0; }
header { background: #111827; color: #e5e7eb; padding: 10px 20px; }
header a { color: #fff; font-weight: 600; text-decoration: none; margin-right: 8px; }
main { padding: 4px 20px 40px; max-width: 1200px; }
h1 { font-size: 20px; margin: 16px 0 8px; word-break: break-all; }
h2 { font-size: 15px; margin: 22px 0 8px; color: #374151; }
a { color: #1d4ed8; }
#problem:not(:empty) { background: #fee2e2; color: #991b1b; padding: 8px 20px; }
.fields { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin: 0; }
.fields div { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 6px 10px; }
.fields dt { font-size: 12px; color: #6b7280; }
.fields dd { margin: 0; font-size: 16px; font-variant-numeric: tabular-nums; word-break: break-all; }
table { border-collapse: collapse; background: #fff; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e5e7eb; font-variant-numeric: tabular-nums; }
th { font-size: 12px; color: #6b7280; font-weight: 500; }
.empty { color: #6b7280; }
.chart { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; }
.chart .grid { stroke: #e5e7eb; }
.chart .axis, .chart .legend { font-size: 11px; fill: #6b7280; }
.actions { display: flex; gap: 8px; margin: 8px 0; }
button { font: inherit; padding: 4px 12px; border: 1px solid #9ca3af; border-radius: 6px; background: #fff; cursor: pointer; }
button:hover { background: #f3f4f6; }
button:disabled { color: #9ca3af; cursor: default; }
#action-result:empty { display: none; }
#action-result { background: #ecfdf5; padding: 6px 10px; border-radius: 6px; }
.error { color: #b91c1c; }
.message { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.message.dead { border-left: 4px solid #dc2626; }
.message header { background: none; color: #374151; padding: 0; font-size: 12px; }
.message .body { background: #f3f4f6; padding: 6px; margin: 6px 0 0; white-space: pre-wrap; word-break: break-all; max-height: 12em; overflow: auto; }
.message .headers th { width: 30%; }
.history { margin: 4px 0; padding-left: 22px; font-size: 13px; }
.history time { color: #6b7280; }
`;
