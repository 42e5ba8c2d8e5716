import { spawn } from 'node:child_process'
import path from 'node:path'
import { REPO_ROOT } from './processes.ts'

export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const BIN = path.join(REPO_ROOT, 'bin/roundtrip.js')

/** Runs the real `roundtrip` executable without a terminal, the way CI does. */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, options: { cwd?: string } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  return { code, stdout, stderr }
}

/**
 * Runs `roundtrip` on a real pseudo-terminal (util-linux `script`), typing `input` once the
 * prompt has appeared. Output of both streams arrives merged, as on a terminal.
 */
export async function runCliOnTerminal(
  args: readonly string[],
  input: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
  const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  // Give the program time to reach its prompt; a terminal buffers what is typed early anyway.
  setTimeout(() => child.stdin.write(input), 1_500)
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  return { code, output }
}
