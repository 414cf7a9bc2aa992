#!/usr/bin/env node
// Parses AsyncAPI documents with the reference parser (@asyncapi/parser) and
// exits non-zero when it reports any error, printing every diagnostic.
//
// Why a real parser: the AsyncAPI meta-schema alone misses broken $refs, message
// payloads that are not valid schemas, operations naming messages of another
// channel, and the other rules of the parser's built-in Spectral ruleset.
// Warnings, infos and hints are printed but do not fail the run.
//
// Usage: node validate-asyncapi.mjs <file> [<file>...]
//   exit 0: every file valid; 1: at least one invalid; 2: usage.
// Several files share one start of Node and the parser (a few seconds).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { Parser, DiagnosticSeverity } from '@asyncapi/parser';

const SEVERITY = {
  [DiagnosticSeverity.Error]: 'error',
  [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'info',
  [DiagnosticSeverity.Hint]: 'hint',
};

async function validate(parser, name) {
  const file = path.resolve(name);
  const text = await readFile(file, 'utf8');
  // `source` lets relative $refs resolve against the file's own folder.
  const { document, diagnostics } = await parser.parse(text, {
    source: pathToFileURL(file).href,
  });
  let errors = 0;
  for (const d of diagnostics) {
    const where = d.path && d.path.length ? d.path.join('.') : '(document)';
    const line = d.range ? `:${d.range.start.line + 1}` : '';
    console.log(`${SEVERITY[d.severity] ?? d.severity} ${d.code} at ${where}${line}: ${d.message}`);
    if (d.severity === DiagnosticSeverity.Error) errors += 1;
  }
  if (errors > 0 || document === undefined) {
    console.log(`INVALID: ${name}: ${errors} error(s)`);
    return false;
  }
  const channels = document.allChannels().length;
  const messages = document.allMessages().length;
  console.log(
    `VALID: ${name}: AsyncAPI ${document.version()}, ${channels} channel(s), ${messages} message(s)`,
  );
  return true;
}

async function main(files) {
  if (files.length === 0) {
    console.error('usage: node validate-asyncapi.mjs <asyncapi file> [<asyncapi file>...]');
    return 2;
  }
  const parser = new Parser();
  let valid = true;
  for (const name of files) {
    if (files.length > 1) console.log(`== ${name}`);
    valid = (await validate(parser, name)) && valid;
  }
  return valid ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`validate-asyncapi: ${error?.stack ?? error}`);
    process.exit(1);
  },
);
