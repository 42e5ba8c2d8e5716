import { mkdtempSync, rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

/**
 * Temporary files of one test file, all in one folder that is deleted when the file's tests have
 * run (`tests/support/remove-temp.ts`, a setup file, registers that for every test file): a test
 * that fails half-way leaves nothing behind in the system's temporary folder either.
 */
let root: string | undefined
let made = 0

function tempRoot(): string {
  root ??= mkdtempSync(path.join(os.tmpdir(), 'rt-test-'))
  return root
}

/** A path for a new file, unique within the test file; `name` ends it, for messages. */
export function tempPath(name: string): string {
  return path.join(tempRoot(), `${++made}-${name}`)
}

/** A new empty folder. */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tempRoot(), prefix))
}

/** Deletes everything made here; the next `tempPath` or `tempDir` starts a new folder. */
export function removeTemp(): void {
  if (root !== undefined) rmSync(root, { recursive: true, force: true })
  root = undefined
}
