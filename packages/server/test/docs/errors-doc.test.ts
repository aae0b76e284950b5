import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { errorCatalog, type ErrorCode } from '../../src/errors.js';

/** docs/errors.md at the repository root: every catalog code, its status and its group. */
const page = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
const catalogSource = readFileSync(new URL('../../src/errors.ts', import.meta.url), 'utf8');

interface DocumentedCode {
  readonly status: number;
  readonly group: string;
}

/** The page's table rows: `| \`CODE\` | status or — | meaning | where |`, under `## Group` headings. */
function documented(): Map<string, DocumentedCode> {
  const codes = new Map<string, DocumentedCode>();
  let group = '';
  for (const line of page.split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    if (heading !== null) group = heading[1]!.trim();
    const row = /^\|\s*`(PERCORE_ERR_[A-Z0-9_]+)`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (row === null) continue;
    const [, code, status] = row as unknown as [string, string, string];
    expect(codes.has(code), `${code} is documented twice`).to.equal(false);
    expect(status, `${code}: the status is a number or —`).to.match(/^(?:\d{3}|—)$/);
    codes.set(code, { status: status === '—' ? 0 : Number(status), group });
  }
  return codes;
}

/** The catalog's groups: the first comment after a blank line opens one (`// Cluster`). */
function catalogGroups(): Map<string, string> {
  const body = catalogSource.slice(catalogSource.indexOf('export const errorCatalog = {'), catalogSource.indexOf('} as const'));
  const groups = new Map<string, string>();
  let group = '';
  let afterBlank = true;
  for (const line of body.split('\n').slice(1)) {
    const comment = /^\s*\/\/\s*(.+)$/.exec(line);
    if (comment !== null && afterBlank) group = comment[1]!.trim();
    const entry = /^\s*(PERCORE_ERR_[A-Z0-9_]+)\s*:/.exec(line);
    if (entry !== null) groups.set(entry[1]!, group);
    afterBlank = line.trim() === '';
  }
  return groups;
}

describe('docs/errors.md', () => {
  const codes = Object.keys(errorCatalog) as ErrorCode[];

  it('documents every code in the catalog', () => {
    const onPage = documented();
    expect(codes.filter((code) => !onPage.has(code))).to.deep.equal([]);
  });

  it('documents no code the catalog lacks', () => {
    expect([...documented().keys()].filter((code) => !(code in errorCatalog))).to.deep.equal([]);
  });

  it("gives each code the catalog's HTTP status (— for none)", () => {
    const onPage = documented();
    const wrong = codes
      .filter((code) => onPage.has(code) && onPage.get(code)!.status !== errorCatalog[code].status)
      .map((code) => `${code}: page ${onPage.get(code)!.status}, catalog ${errorCatalog[code].status}`);
    expect(wrong).to.deep.equal([]);
  });

  it('lists each code under the heading of its group in errors.ts', () => {
    const groups = catalogGroups();
    expect([...groups.keys()].sort(), 'every catalog entry parsed').to.deep.equal([...codes].sort());
    const misplaced = [...documented()]
      .filter(([code, { group }]) => groups.has(code) && groups.get(code) !== group)
      .map(([code, { group }]) => `${code}: under "${group}", in errors.ts under "${groups.get(code)}"`);
    expect(misplaced).to.deep.equal([]);
  });
});
