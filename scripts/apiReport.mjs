#!/usr/bin/env node
// API reports: one Markdown report per entry point of every published package (packages/* without
// "private"), written by Microsoft API Extractor from the built .d.ts files into <package>/api/.
//
//   node scripts/apiReport.mjs            check: exit 1 naming (and diffing) each report that differs from
//                                         the public surface of the build (npm test runs this after the build)
//   node scripts/apiReport.mjs --update   rewrite the reports (`npm run api:update` builds first)
//   ... [@baton/core ...]                 only these packages
//
// Entry points come from package.json `exports` (every key but ./package.json, through its `types`
// condition): "." is reported as api/index.api.md, "./kit" as api/kit.api.md. Declarations marked
// @internal are stripped from the .d.ts by the build (stripInternal), so a report never shows them; a
// public signature naming a type that no entry point of the package exports shows as an
// `ae-forgotten-export` warning inside the report.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CompilerState, Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const update = process.argv.includes('--update');
const only = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));

/** The published workspaces: packages/* whose package.json is not private. */
function publishedPackages() {
  return readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, 'packages', entry.name, 'package.json')))
    .map((entry) => join(root, 'packages', entry.name))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.private !== true)
    .filter(({ manifest }) => only.length === 0 || only.includes(manifest.name));
}

/** The built declaration file of an export target (through its `types` condition, then `default`). */
function typesOf(target) {
  if (typeof target === 'string') return target.endsWith('.d.ts') ? target : undefined;
  if (target === null || typeof target !== 'object') return undefined;
  if ('types' in target) return typesOf(target.types);
  return typesOf(target.default);
}

/** Each entry point of a package: its import specifier, report file and built .d.ts. */
function entryPoints(dir, manifest) {
  const entries = [];
  for (const [subpath, target] of Object.entries(manifest.exports ?? { '.': { types: manifest.types } })) {
    // Data files (package.json, a JSON Schema) have no API to report.
    if (subpath.endsWith('.json')) continue;
    if (subpath.includes('*')) throw new Error(`${manifest.name}: wildcard export "${subpath}" has no API report`);
    const types = typesOf(target);
    if (types === undefined) throw new Error(`${manifest.name}: export "${subpath}" names no .d.ts under "types"`);
    const name = subpath === '.' ? 'index' : subpath.slice(2).replaceAll('/', '.');
    entries.push({ specifier: manifest.name + subpath.slice(1), file: `${name}.api.md`, dts: join(dir, types) });
  }
  return entries;
}

// The built .d.ts need no project settings beyond the base ones; the entry points are the only root files.
const base = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')).compilerOptions;
const compilerOptions = {
  target: base.target,
  lib: base.lib,
  module: base.module,
  moduleResolution: base.moduleResolution,
  types: base.types,
  strict: true,
  skipLibCheck: true,
};

function extractorConfig(dir, entry, entries, tempFolder) {
  return ExtractorConfig.prepare({
    configObjectFullPath: undefined,
    packageJsonFullPath: join(dir, 'package.json'),
    configObject: {
      projectFolder: dir,
      mainEntryPointFilePath: entry.dts,
      compiler: { overrideTsconfig: { compilerOptions, files: entries.map((other) => other.dts) } },
      // API Extractor writes into the temporary folder; this script compares and copies.
      apiReport: { enabled: true, reportFileName: entry.file, reportFolder: tempFolder, reportTempFolder: tempFolder },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: 'lf',
      messages: {
        // A declaration that does not compile (e.g. it names a stripped @internal type) is an error.
        compilerMessageReporting: { default: { logLevel: 'error' } },
        extractorMessageReporting: {
          default: { logLevel: 'warning', addToApiReportFile: true },
          // Shown inside the report, for review.
          'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
          // Baton marks no release stages; @internal declarations are already stripped by the build.
          'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
          'ae-internal-missing-underscore': { logLevel: 'none', addToApiReportFile: false },
          // TSDoc quality is lint's business, not the surface's ({@link} targets resolve per entry point).
          'ae-unresolved-link': { logLevel: 'none', addToApiReportFile: false },
          'ae-undocumented': { logLevel: 'none', addToApiReportFile: false },
        },
        tsdocMessageReporting: { default: { logLevel: 'none', addToApiReportFile: false } },
      },
    },
  });
}

/** The names a report declares as exported (`export interface X`, `export function X(`, …). */
function exportedNames(text) {
  const pattern =
    /^export (?:declare )?(?:abstract )?(?:class|interface|type|function|const|let|var|enum|namespace) (\w+)/gm;
  return [...text.matchAll(pattern)].map((match) => match[1]);
}

/**
 * API Extractor's report, titled with the entry point's specifier, without the `// @public` tags, and without
 * `ae-forgotten-export` warnings for names another entry point of the package exports (API Extractor sees one
 * entry point at a time).
 */
function tidy(text, entry, exportedByPackage) {
  const lines = text
    .replace(/^## API Report File for "[^"]*"/, `## API Report File for "${entry.specifier}"`)
    .split('\n')
    .filter((line) => {
      const forgotten = /^\s*\/\/ Warning: \(ae-forgotten-export\) The symbol "(\w+)"/.exec(line);
      return forgotten === null || !exportedByPackage.has(forgotten[1]);
    });
  const kept = [];
  for (const [i, line] of lines.entries()) {
    if (/^\s*\/\/ @public$/.test(line)) continue;
    // The `//` separating warnings from the tags below them, when nothing is left above or below it.
    const previous = kept.at(-1) ?? '';
    if (
      /^\s*\/\/$/.test(line) &&
      (!/^\s*\/\/ Warning/.test(previous) || /^\s*\/\/ @public$/.test(lines[i + 1] ?? ''))
    ) {
      continue;
    }
    kept.push(line);
  }
  return kept.join('\n');
}

const changed = [];
const problems = [];
const started = performance.now();
for (const { dir, manifest } of publishedPackages()) {
  const entries = entryPoints(dir, manifest);
  const missing = entries.filter((entry) => !existsSync(entry.dts));
  if (missing.length > 0) {
    const names = missing.map((entry) => relative(root, entry.dts)).join(', ');
    problems.push(`${manifest.name}: ${names} not built (run \`npm run api:update\`, which builds first)`);
    continue;
  }
  const tempFolder = join(dir, 'reports', 'api');
  rmSync(tempFolder, { recursive: true, force: true });
  mkdirSync(tempFolder, { recursive: true });
  const reportFolder = join(dir, 'api');
  let compilerState; // one TypeScript program per package, shared by its entry points
  const raw = new Map();
  for (const entry of entries) {
    const config = extractorConfig(dir, entry, entries, tempFolder);
    compilerState ??= CompilerState.create(config);
    const result = Extractor.invoke(config, {
      localBuild: true,
      compilerState,
      messageCallback(message) {
        // API Extractor's notices about its own report files: this script reports instead.
        if (message.category === 'console') message.handled = true;
      },
    });
    if (!result.succeeded) {
      problems.push(`${entry.specifier}: ${result.errorCount} error(s) in ${relative(root, entry.dts)}`);
    }
    raw.set(entry, readFileSync(join(tempFolder, entry.file), 'utf8'));
  }
  const exportedByPackage = new Set([...raw.values()].flatMap(exportedNames));
  for (const [entry, text] of raw) {
    const fresh = tidy(text, entry, exportedByPackage);
    const path = join(reportFolder, entry.file);
    const committed = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (committed === fresh) continue;
    changed.push({ specifier: entry.specifier, report: relative(root, path), fresh: join(tempFolder, entry.file) });
    writeFileSync(join(tempFolder, entry.file), fresh);
    if (update) {
      mkdirSync(reportFolder, { recursive: true });
      writeFileSync(path, fresh);
    }
  }
  // Reports of entry points that no longer exist.
  const current = new Set(entries.map((entry) => entry.file));
  for (const file of existsSync(reportFolder) ? readdirSync(reportFolder) : []) {
    if (!file.endsWith('.api.md') || current.has(file)) continue;
    changed.push({
      specifier: `${manifest.name} (an entry point no longer exported)`,
      report: relative(root, join(reportFolder, file)),
    });
    if (update) rmSync(join(reportFolder, file));
  }
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
for (const problem of problems) console.error(`api report: ${problem}`);
if (update) {
  for (const { report } of changed) console.log(`api report: updated ${report}`);
  console.log(`api report: ${changed.length} report(s) updated in ${seconds} s`);
} else if (changed.length > 0) {
  for (const { specifier, report, fresh } of changed) {
    console.error(`api report: the public surface of ${specifier} differs from ${report}`);
    const diff = spawnSync(
      'diff',
      ['-u', existsSync(join(root, report)) ? join(root, report) : '/dev/null', fresh ?? '/dev/null'],
      {
        encoding: 'utf8',
      },
    );
    if (typeof diff.stdout === 'string') console.error(diff.stdout.split('\n').slice(0, 80).join('\n'));
  }
  console.error('api report: the public API changed: run `npm run api:update` and commit the reports with the change.');
} else {
  console.log(`api report: every public surface matches its report (${seconds} s)`);
}
process.exit(problems.length > 0 || (!update && changed.length > 0) ? 1 : 0);
