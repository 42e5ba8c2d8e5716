import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { exportBackup, type ExportBackupOptions, type ExportSummary } from '../../harness/export/export-backup.ts'
import type { Entry } from './reference-app.ts'
import { tempDir } from './temp.ts'

/** Writes entries to a temporary backup file (Django's layout is not needed: any JSON array). */
export async function writeTempBackup(entries: readonly Entry[] | string, name = 'backup.json'): Promise<string> {
  const dir = await tempDir('rt-backup-')
  const file = path.join(dir, name)
  await writeFile(file, typeof entries === 'string' ? entries : JSON.stringify(entries, null, 2))
  return file
}

/** Runs an export into memory and returns the text with the summary. */
export async function exportToString(
  options: Omit<ExportBackupOptions, 'destination'>,
): Promise<{ text: string; summary: ExportSummary }> {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  const summary = await exportBackup({ ...options, destination: stream })
  stream.end()
  return { text: Buffer.concat(chunks).toString('utf8'), summary }
}
