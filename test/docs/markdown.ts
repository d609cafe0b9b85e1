/** Just enough Markdown for the design check: sections and pipe tables. */

export interface Section {
  /** The `## ` heading line, e.g. `## 3. Configuration contract (environment)`. */
  heading: string;
  body: string;
}

/** The doc split at its level-2 headings (the text before the first is dropped). */
export function sections(doc: string): Section[] {
  const out: Section[] = [];
  for (const line of doc.split('\n')) {
    if (line.startsWith('## ')) out.push({ heading: line, body: '' });
    else if (out.length > 0) out[out.length - 1]!.body += `${line}\n`;
  }
  return out;
}

export interface Table {
  headers: string[];
  /** Cells by header; the text as written (backticks kept). */
  rows: Array<Record<string, string>>;
}

/** Splits a table row at unescaped pipes; `\|` inside a cell stays a pipe. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** Every pipe table of the doc. */
export function parseTables(doc: string): Table[] {
  const lines = doc.split('\n');
  const out: Table[] = [];
  for (let i = 0; i < lines.length - 1; i++) {
    if (!lines[i]!.startsWith('|') || !/^\|[\s:|-]+\|$/.test(lines[i + 1]!.trim())) continue;
    if (i > 0 && lines[i - 1]!.startsWith('|')) continue;
    const headers = cells(lines[i]!);
    const rows: Array<Record<string, string>> = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.startsWith('|'); j++) {
      const row = cells(lines[j]!);
      rows.push(Object.fromEntries(headers.map((h, k) => [h, row[k] ?? ''])));
    }
    out.push({ headers, rows });
    i = j - 1;
  }
  return out;
}

/** The one table whose first (and second) headers are these; throws when there is none or more. */
export function findTable(tables: Table[], first: string, second?: string): Table {
  const found = tables.filter(
    (t) => t.headers[0] === first && (second === undefined || t.headers[1] === second),
  );
  if (found.length !== 1) {
    throw new Error(
      `docs/design.md: expected one table with headers "${first}", "${second ?? '…'}"; found ${found.length}`,
    );
  }
  return found[0]!;
}

/** A cell that is one backticked name, without its backticks. */
export function stripTicks(cell: string): string {
  return cell.trim().replace(/^`|`$/g, '');
}

/** Every backticked item of a cell, in order. */
export function ticked(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}
