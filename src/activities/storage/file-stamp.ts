// A local file's MD5 is read once, by the selection step; the upload reuses it while the file
// still has the size and modification time recorded beside it, and reads the file again if not.
import type { FileStamp, InputFile } from '../../transcode';

export function stampOf(stats: FileStamp): FileStamp {
  return { size: stats.size, mtimeMs: stats.mtimeMs };
}

/**
 * The MD5 recorded for the file, when the file looks as it did when it was hashed (`stats` taken
 * now); none for a record without a stamp (manifests written before stamps) or a changed file.
 */
export function recordedMd5(file: InputFile, stats: FileStamp): Buffer | undefined {
  const stamp = file.md5Stamp;
  if (!file.md5 || !stamp) return undefined;
  if (stamp.size !== stats.size || stamp.mtimeMs !== stats.mtimeMs) return undefined;
  const md5 = Buffer.from(file.md5, 'base64');
  return md5.length === 16 ? md5 : undefined;
}
