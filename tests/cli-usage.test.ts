/**
 * The command line's contract for every subcommand, in-process (no database is reached): --help
 * exits 0 with a real example; an unknown flag, a missing argument or a missing flag value is a
 * usage error, exit 2, with a one-line pointer to --help.
 */
import { describe, expect, it } from 'vitest'
import { main } from '../harness/cli/main.ts'
import type { CliIo } from '../harness/cli/output.ts'

async function run(...argv: string[]) {
  let out = ''
  let err = ''
  const io: CliIo = { out: (text) => void (out += text), err: (text) => void (err += text) }
  const code = await main(argv, io)
  return { code, out, err }
}

const SUBCOMMANDS = ['check', 'import', 'export', 'compare', 'encrypt', 'decrypt', 'migrate', 'schema']
/** Arguments each subcommand cannot do without. */
const REQUIRED: Record<string, string[]> = { import: ['file'], compare: ['left', 'right'], encrypt: ['dest'], decrypt: ['dest'] }

describe.each(SUBCOMMANDS)('roundtrip %s', (name) => {
  it('--help exits 0 and shows an example', async () => {
    const help = await run(name, '--help')
    expect(help.code).toBe(0)
    expect(help.out).toMatch(new RegExp(`Usage: roundtrip ${name}`))
    expect(help.out).toMatch(/Examples?:\n(?: {2}\$ .*\n)* {2}\$ roundtrip /)
  })

  it('rejects an unknown flag with exit 2 and a pointer to --help', async () => {
    const unknown = await run(name, '--no-such-flag')
    expect(unknown.code).toBe(2)
    expect(unknown.err).toContain("error: unknown option '--no-such-flag'")
    expect(unknown.err).toContain('(run with --help for usage)')
  })

  it('rejects a flag without its value with exit 2', async () => {
    // Every subcommand has --app or --database-url or --src, each of which takes a value.
    const flag = ['encrypt', 'decrypt'].includes(name) ? '--src' : name === 'compare' ? '--app' : name === 'import' || name === 'export' || name === 'migrate' ? '--database-url' : '--app'
    const missing = await run(name, ...(REQUIRED[name] ?? []).map((arg) => `x-${arg}`), flag)
    expect(missing.code).toBe(2)
    expect(missing.err).toContain(`error: option '${flag} <`)
    expect(missing.err).toContain('argument missing')
  })

})

describe.each(Object.entries(REQUIRED))('roundtrip %s without its arguments', (name, [first]) => {
  it('is a usage error, exit 2, naming the first missing one', async () => {
    const missing = await run(name)
    expect(missing.code).toBe(2)
    expect(missing.err).toContain(`error: missing required argument '${first}'`)
  })
})

describe('roundtrip', () => {
  it('rejects an unknown subcommand with exit 2', async () => {
    const unknown = await run('chek')
    expect(unknown.code).toBe(2)
    expect(unknown.err).toMatch(/unknown command 'chek'/)
  })

  it('lists every subcommand in --help', async () => {
    const help = await run('--help')
    expect(help.code).toBe(0)
    for (const name of SUBCOMMANDS) expect(help.out).toMatch(new RegExp(`^  ${name}\\b`, 'm'))
  })
})
