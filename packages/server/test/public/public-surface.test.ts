/**
 * The package as its users get it, from the built dist: every entry loads with require() (the
 * exports map's `default` condition), a consumer compiled with isolatedModules type-checks, and
 * the exported names match the snapshot, so that every change to the surface is deliberate.
 * After a deliberate change: PERCORE_UPDATE_EXPORTS=1 pnpm test, and review the diff.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const packageDir = here('../../');
const snapshotPath = here('./exports.snapshot.json');
const run = promisify(execFile);

interface PackageJson {
  exports: Record<string, string | { types: string; import: string; default?: string }>;
}
const manifest = JSON.parse(readFileSync(`${packageDir}package.json`, 'utf8')) as PackageJson;
const entries = Object.entries(manifest.exports).filter(([, target]) => typeof target === 'object') as Array<
  [string, { types: string; import: string; default?: string }]
>;

/** Each entry's exported names, marked `type` where they name only a type. */
function exportedNames(): Record<string, string[]> {
  const files = entries.map(([, target]) => `${packageDir}${target.types}`);
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const surface: Record<string, string[]> = {};
  for (const [entry, target] of entries) {
    const source = program.getSourceFile(`${packageDir}${target.types}`);
    if (source === undefined) throw new Error(`${target.types} is missing: build first (tsc -b)`);
    const moduleSymbol = checker.getSymbolAtLocation(source)!;
    surface[`@percore/server${entry.slice(1)}`] = checker
      .getExportsOfModule(moduleSymbol)
      .map((symbol) => {
        const resolved = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        const declaration = symbol.declarations?.[0];
        const typeOnly =
          declaration !== undefined && ts.isExportSpecifier(declaration) && (declaration.isTypeOnly || declaration.parent.parent.isTypeOnly);
        return resolved.flags & ts.SymbolFlags.Value && !typeOnly ? symbol.name : `type ${symbol.name}`;
      })
      .sort();
  }
  return surface;
}

describe('the public surface', function () {
  this.timeout(60_000);

  it('matches the export snapshot', function () {
    const surface = exportedNames();
    if (process.env.PERCORE_UPDATE_EXPORTS === '1') writeFileSync(snapshotPath, `${JSON.stringify(surface, null, 2)}\n`);
    const snapshot = JSON.parse(readFileSync(snapshotPath, 'utf8')) as Record<string, string[]>;
    expect(surface, 'the exports changed: if on purpose, PERCORE_UPDATE_EXPORTS=1 and review the snapshot').to.deep.equal(snapshot);
  });

  it('has a `default` condition on every entry, so that require() resolves it', function () {
    for (const [entry, target] of entries) expect(target.default, entry).to.equal(target.import);
  });

  it('loads every entry with require() from a CommonJS file', async function () {
    const { stdout } = await run(process.execPath, [here('./fixtures/require-entries.cjs')], { cwd: packageDir });
    const loaded = JSON.parse(stdout) as Record<string, string[]>;
    const values = Object.fromEntries(
      Object.entries(exportedNames()).map(([entry, names]) => [entry, names.filter((name) => !name.startsWith('type '))]),
    );
    expect(loaded).to.deep.equal(values);
    expect(loaded['@percore/server']).to.include.members(['serve', 'createServer', 'Task', 'Scheduler', 'PercoreError']);
  });

  it('type-checks a consumer compiled with isolatedModules, against the shipped .d.ts files', function () {
    const program = ts.createProgram([here('./fixtures/isolated-consumer.ts')], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      isolatedModules: true,
      verbatimModuleSyntax: true,
      noEmit: true,
      // The .d.ts files themselves are checked too: a stripped @internal that a public type
      // still names shows up here.
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [`${packageDir}node_modules/@types`],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where = diagnostic.file
        ? `${diagnostic.file.fileName}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}`
        : '';
      return `${where} TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    });
    expect(diagnostics).to.deep.equal([]);
  });

  it('ships no @internal declaration in its .d.ts files', async function () {
    const { stdout } = await run('grep', ['-rl', '--include=*.d.ts', '@internal', `${packageDir}dist`]).catch(
      (error: { code?: number; stdout?: string }) => {
        if (error.code === 1) return { stdout: '' }; // grep: no match
        throw error;
      },
    );
    const offenders = stdout.split('\n').filter(Boolean);
    expect(offenders).to.deep.equal([]);
  });
});
