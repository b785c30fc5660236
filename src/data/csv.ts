/**
 * Reading a numeric CSV with a header row: one sample per row, one column holding the label.
 */
import { readFileSync } from 'node:fs';
import { DataError } from './dataset.js';

export interface CsvTable {
  /** Feature column names, in file order (the label column removed). */
  featureNames: string[];
  /** [rows, features]. */
  features: Float64Array;
  labels: Float64Array;
  rows: number;
}

export function readCsv(path: string, labelColumn: string): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(`${path}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code ?? String(error)})`);
  }
  const lines = text.split(/\r?\n/).filter((line) => line.trim().length > 0);
  if (lines.length < 2) throw new DataError(`${path}: needs a header row and at least one data row`);
  const header = lines[0].split(',').map((s) => s.trim());
  const labelIndex = header.indexOf(labelColumn);
  if (labelIndex < 0) throw new DataError(`${path}: data.labelColumn = ${JSON.stringify(labelColumn)} is not a column (columns: ${header.join(', ')})`);
  const rows = lines.length - 1;
  const featureCount = header.length - 1;
  if (featureCount === 0) throw new DataError(`${path}: no feature columns besides the label ${JSON.stringify(labelColumn)}`);
  const features = new Float64Array(rows * featureCount);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(',');
    if (cells.length !== header.length) throw new DataError(`${path}: row ${r + 2} has ${cells.length} columns, the header has ${header.length}`);
    let f = 0;
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c].trim();
      const value = cell === '' ? NaN : Number(cell);
      if (Number.isNaN(value) && !/^nan$/i.test(cell)) throw new DataError(`${path}: row ${r + 2}, column ${header[c]}: ${JSON.stringify(cells[c])} is not a number`);
      if (c === labelIndex) labels[r] = value;
      else features[r * featureCount + f++] = value;
    }
  }
  return { featureNames: header.filter((_, i) => i !== labelIndex), features, labels, rows };
}
