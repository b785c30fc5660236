/**
 * Reading a numeric CSV with a header row: one sample per row, one column holding the label.
 *
 * Rows are numbered as a spreadsheet numbers them (the header is row 1), and every problem is
 * one DataError line naming the file, the row and the column: a ragged row, an empty cell, a
 * cell that is not a decimal number, NaN or ±Infinity, a number beyond float32's range. A UTF-8
 * byte order mark is skipped; cells may be quoted ("x 1") with "" for a quote inside.
 */
import { readDataFile } from './data-file.js';
import { DataError } from './dataset.js';
import { checkDatasetSize, float32Max, maxCsvFileBytes } from './limits.js';
import { dataField } from './option-names.js';

export interface CsvTable {
  /** Feature column names, in file order (the label column removed). */
  featureNames: string[];
  /** [rows, features]. */
  features: Float64Array;
  labels: Float64Array;
  /** Each label cell as written, for error lines (`4294967297`, not a rounded float). */
  labelTexts: string[];
  /** The file's row number (header = 1) of each sample: blank lines are skipped, not renumbered. */
  rowNumbers: number[];
  rows: number;
}

/** A decimal number as people and NumPy write them: `-1`, `2.5`, `.5`, `3.`, `1e-3`. */
const decimalNumber = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** At most this many column names are listed in an error line. */
const namesListed = 12;

/** The cells of one line: comma-separated, each optionally in double quotes. */
function splitCells(line: string, row: number, label: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const cells: string[] = [];
  let at = 0;
  for (;;) {
    while (line[at] === ' ' || line[at] === '\t') at++;
    if (line[at] === '"') {
      let cell = '';
      at++;
      for (;;) {
        if (at >= line.length) throw new DataError(`${label}: row ${row}, column ${cells.length + 1}: a quoted cell is not closed (cells may not span lines)`);
        if (line[at] === '"') {
          if (line[at + 1] === '"') {
            cell += '"';
            at += 2;
            continue;
          }
          at++;
          break;
        }
        cell += line[at++];
      }
      while (line[at] === ' ' || line[at] === '\t') at++;
      if (at < line.length && line[at] !== ',') throw new DataError(`${label}: row ${row}, column ${cells.length + 1}: text after a quoted cell`);
      cells.push(cell);
    } else {
      const end = line.indexOf(',', at);
      cells.push(line.slice(at, end < 0 ? line.length : end));
      at = end < 0 ? line.length : end;
    }
    if (at >= line.length) return cells;
    at++; // the comma
  }
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, namesListed).map((name) => JSON.stringify(name)).join(', ');
  return names.length > namesListed ? `${shown}, … (${names.length} in all)` : shown;
}

/** A cell as it appears in an error line: quoted, at most 40 characters. */
function showCell(cell: string): string {
  const text = JSON.stringify(cell);
  return text.length > 40 ? `${text.slice(0, 37)}…"` : text;
}

/**
 * Reads the CSV at `path`. `label` names the file in errors (`/data/x.csv (data.path)`), and
 * `labelColumnField` the option that names the label column.
 */
export function readCsv(path: string, labelColumn: string, label: string = path, labelColumnField = dataField('labelColumn')): CsvTable {
  const bytes = readDataFile(path, label, maxCsvFileBytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new DataError(`${label}: is not UTF-8 text (a binary file, or another encoding: save the CSV as UTF-8)`);
  }
  // TextDecoder drops a leading byte order mark itself (ignoreBOM: false); one left by a double encoding is dropped too.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const lines = text.split(/\r\n|\n|\r/);
  const numbered: { row: number; line: string }[] = [];
  lines.forEach((line, index) => {
    if (line.trim().length > 0) numbered.push({ row: index + 1, line });
  });
  if (numbered.length === 0) throw new DataError(`${label}: is empty; a CSV needs a header row and at least one data row`);
  if (numbered.length === 1) throw new DataError(`${label}: has a header row but no data rows`);
  const headerRow = numbered[0];
  const header = splitCells(headerRow.line, headerRow.row, label).map((name) => name.trim());
  header.forEach((name, column) => {
    if (name === '') throw new DataError(`${label}: row ${headerRow.row} (the header), column ${column + 1}: has no name`);
    const first = header.indexOf(name);
    if (first !== column) throw new DataError(`${label}: row ${headerRow.row} (the header): the column name ${showCell(name)} appears twice (columns ${first + 1} and ${column + 1})`);
  });
  const labelIndex = header.indexOf(labelColumn);
  if (labelIndex < 0) throw new DataError(`${label}: ${labelColumnField} = ${showCell(labelColumn)} is not a column (columns: ${listNames(header)})`);
  const featureCount = header.length - 1;
  if (featureCount === 0) throw new DataError(`${label}: no feature columns besides the label ${showCell(labelColumn)}`);
  const rows = numbered.length - 1;
  checkDatasetSize(label, `${rows} rows × ${header.length} columns`, rows * header.length, 'use fewer rows or columns');
  const features = new Float64Array(rows * featureCount);
  const labels = new Float64Array(rows);
  const labelTexts: string[] = [];
  const rowNumbers: number[] = [];
  for (let r = 0; r < rows; r++) {
    const { row, line } = numbered[r + 1];
    const cells = splitCells(line, row, label);
    if (cells.length !== header.length) throw new DataError(`${label}: row ${row} has ${cells.length} columns, the header has ${header.length}`);
    let f = 0;
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c].trim();
      // Built only for an error: a large file has millions of cells.
      const where = (): string => `${label}: row ${row}, column ${showCell(header[c])}`;
      if (cell === '') throw new DataError(`${where()}: the cell is empty`);
      if (!decimalNumber.test(cell)) {
        const nonFinite = /^[+-]?(nan|inf|infinity)$/i.test(cell);
        throw new DataError(`${where()}: ${showCell(cell)} is not ${nonFinite ? 'a finite number' : 'a decimal number'}`);
      }
      const value = Number(cell);
      if (!Number.isFinite(value) || Math.abs(value) > float32Max) throw new DataError(`${where()}: ${showCell(cell)} is beyond float32's range (±3.4e38)`);
      if (c === labelIndex) {
        labels[r] = value;
        labelTexts.push(cell);
      } else {
        features[r * featureCount + f++] = value;
      }
    }
    rowNumbers.push(row);
  }
  return { featureNames: header.filter((_, i) => i !== labelIndex), features, labels, labelTexts, rowNumbers, rows };
}
