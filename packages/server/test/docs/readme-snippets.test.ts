/**
 * Every TypeScript snippet in the READMEs type-checks against the shipped .d.ts, as a user
 * would paste it. A snippet that starts with `import` is a file of its own; one that does not
 * continues the snippet before it (so a README can build an example up in steps).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const packageDir = fileURLToPath(new URL('../../', import.meta.url));
const readmes = [
  { name: 'README.md', path: `${packageDir}../../README.md` },
  { name: 'packages/server/README.md', path: `${packageDir}README.md` },
];

/** The snippets of one README, grouped into files. */
function snippetFiles(readme: string): string[] {
  const files: string[] = [];
  for (const match of readFileSync(readme, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)) {
    const code = match[1]!;
    if (code.trimStart().startsWith('import') || files.length === 0) files.push(code);
    else files[files.length - 1] += `\n${code}`;
  }
  return files;
}

describe('docs: the README snippets', function () {
  this.timeout(60_000);

  for (const readme of readmes) {
    it(`type-checks every snippet of ${readme.name}`, function () {
      const files = snippetFiles(readme.path);
      expect(files.length, 'snippets found').to.be.greaterThan(0);
      // Virtual files inside the package, so that '@percore/server' resolves to its own dist.
      const virtual = new Map(files.map((code, i) => [`${packageDir}test/docs/readme-snippet-${i}.ts`, `${code}\nexport {};\n`]));
      const options: ts.CompilerOptions = {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [`${packageDir}node_modules/@types`],
      };
      const host = ts.createCompilerHost(options);
      const { getSourceFile, fileExists, readFile } = host;
      host.getSourceFile = (fileName, language, ...rest) => {
        const code = virtual.get(fileName);
        return code === undefined ? getSourceFile.call(host, fileName, language, ...rest) : ts.createSourceFile(fileName, code, language);
      };
      host.fileExists = (fileName) => virtual.has(fileName) || fileExists.call(host, fileName);
      host.readFile = (fileName) => virtual.get(fileName) ?? readFile.call(host, fileName);
      const program = ts.createProgram([...virtual.keys()], options, host);
      const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
        const file = diagnostic.file;
        const where = file
          ? `${file.fileName.slice(packageDir.length)}:${file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}`
          : '';
        return `${where} TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      });
      expect(diagnostics, `in ${readme.name}`).to.deep.equal([]);
    });
  }
});
