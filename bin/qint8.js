#!/usr/bin/env node
// Entry point of `npx qint8`: runs the compiled command line in dist/.
'use strict';
require('../dist/lib/cli.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : err); process.exitCode = 1; },
);
