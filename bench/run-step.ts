// Child processes of the bench: each measured step runs alone in a process of its own, so the peak
// RSS it reports is that step's and nothing else's.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { RESULT_PREFIX, type StepArgs, type StepName, type StepReport } from './steps/protocol.ts'

const WORKER = path.join(import.meta.dirname, 'steps', 'worker.ts')
const GNU_TIME = '/usr/bin/time'
/** Lines of a failed child's stderr kept for the message. */
const STDERR_TAIL_LINES = 6

export interface CommandResult {
  readonly ms: number
  /** Peak RSS of the command, when GNU time is there to tell. */
  readonly maxRssMb: number | undefined
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number
}

export interface CommandOptions {
  readonly env?: NodeJS.ProcessEnv
  readonly cwd?: string
  /** Killed after this long. Default: 30 minutes. */
  readonly timeoutMs?: number
  /** The name in error messages. Default: the program's file name. */
  readonly name?: string
  /** Exit codes besides 0 that mean the command ran to completion (a check that found differences). */
  readonly acceptExitCodes?: readonly number[]
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000

/**
 * Runs a bench step (bench/steps/worker.ts) in a fresh node process and returns what it reports:
 * its own duration of the measured call and its peak RSS.
 * @throws Error when the child fails, times out or reports nothing
 */
export async function runStep<S extends StepName>(
  step: S,
  args: StepArgs[S],
  options: CommandOptions = {},
): Promise<StepReport<S>> {
  const result = await runCommand(process.execPath, ['--import', 'tsx', WORKER, step, JSON.stringify(args)], {
    ...options,
    name: `step ${step}`,
    measureRss: false,
  })
  const line = result.stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX))
  if (!line) throw new Error(`step ${step} reported no result${tail(result.stderr)}`)
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as StepReport<S>
}

/**
 * Runs a program to completion and times it from spawn to exit (its start-up included). With GNU
 * time on the machine its peak RSS is read too.
 * @throws Error on a non-zero exit, naming the command and the end of its stderr
 */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: CommandOptions & { readonly measureRss?: boolean } = {},
): Promise<CommandResult> {
  const measure = (options.measureRss ?? true) && existsSync(GNU_TIME)
  const scratch = measure ? await mkdtemp(path.join(os.tmpdir(), 'rt-bench-time-')) : undefined
  const timeFile = scratch ? path.join(scratch, 'time') : undefined
  const [program, programArgs] = timeFile
    ? [GNU_TIME, ['-f', '%M', '-o', timeFile, command, ...args]]
    : [command, [...args]]
  try {
    const started = performance.now()
    const child = spawn(program, programArgs, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref()
    }, timeoutMs)
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : null)))
    })
    clearTimeout(timer)
    const ms = performance.now() - started
    const out = Buffer.concat(stdout).toString('utf8')
    const err = Buffer.concat(stderr).toString('utf8')
    const name = options.name ?? path.basename(command)
    if (timedOut) throw new Error(`${name} did not finish within ${Math.round(timeoutMs / 1000)} s${tail(err)}`)
    if (code !== 0 && !(code !== null && options.acceptExitCodes?.includes(code))) throw new Error(`${name} exited with code ${code}${tail(err || out)}`)
    let maxRssMb: number | undefined
    if (timeFile) {
      const kb = Number((await readFile(timeFile, 'utf8').catch(() => '')).trim().split('\n').pop())
      if (Number.isFinite(kb) && kb > 0) maxRssMb = kb / 1024
    }
    return { ms, maxRssMb, stdout: out, stderr: err, exitCode: code ?? 0 }
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true })
  }
}

/** The end of a child's output, without stack frames and node's version banner, as `: …` or ''. */
export function tail(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^\s*at\s.*(:\d+\)?|\(.*\))\s*$/.test(l) && !/^Node\.js v\d/.test(l))
  return lines.length ? `: ${lines.slice(-STDERR_TAIL_LINES).join(' | ')}` : ''
}
