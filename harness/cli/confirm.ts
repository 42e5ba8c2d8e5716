import { createInterface } from 'node:readline/promises'

/**
 * Asks a yes/no question on the terminal; only "y" or "yes" is a yes. The caller decides what a
 * missing terminal means: the harness refuses rather than waiting forever for an answer.
 */
export async function confirm(question: string, output: NodeJS.WritableStream = process.stderr): Promise<boolean> {
  const readline = createInterface({ input: process.stdin, output, terminal: true })
  try {
    const answer = await readline.question(`${question} [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    readline.close()
  }
}

/** Whether a person can be asked: standard input is a terminal. */
export function canAsk(): boolean {
  return process.stdin.isTTY === true
}
