// Reading a model file (the one `alm-rnn train --out` writes) for predict, export and
// train --init-from: the file's text through the public Model.fromJSON, with every refusal
// naming the path.
import { DataError } from '../api/errors.ts';
import { Model } from '../api/model.ts';
import { readTextFile } from './files.ts';

/** The model in the file at `path`; a missing, unreadable or malformed file is one error naming the path. */
export function readModelFile(path: string): Model {
  const text = readTextFile(path, 'model file');
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new DataError(`${path} is not a model file: not valid JSON (${(err as Error).message})`);
  }
  try {
    return Model.fromJSON(obj);
  } catch (err) {
    if (err instanceof DataError) throw new DataError(`${path}: ${err.message}`);
    throw err;
  }
}
