import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { HarnessError } from '../errors.ts'

/**
 * The parts of Prisma's DMMF (its parsed schema) the harness reads. Declared here so that no Prisma
 * type leaks into the harness's own signatures.
 */
export interface DmmfField {
  readonly name: string
  readonly kind: 'scalar' | 'object' | 'enum' | 'unsupported'
  readonly type: string
  /** The column name when it differs from `name` (`@map`). */
  readonly dbName?: string | null
  readonly isRequired: boolean
  readonly isList: boolean
  readonly isId: boolean
  readonly isUnique: boolean
  readonly hasDefaultValue: boolean
  readonly nativeType?: readonly [string, readonly string[]] | null
  readonly relationName?: string | null
  readonly relationFromFields?: readonly string[]
  readonly relationToFields?: readonly string[]
}

export interface DmmfModel {
  readonly name: string
  /** The table name when it differs from `name` (`@@map`). */
  readonly dbName: string | null
  readonly fields: readonly DmmfField[]
  readonly uniqueFields: readonly (readonly string[])[]
  readonly primaryKey: { readonly fields: readonly string[] } | null
}

export interface Dmmf {
  readonly datamodel: { readonly models: readonly DmmfModel[] }
}

interface PrismaSchemaWasm {
  get_dmmf(params: string): string
}

const require = createRequire(import.meta.url)
let wasm: PrismaSchemaWasm | undefined

/**
 * Parses a Prisma schema in-process with Prisma's own WebAssembly parser (npm only, no engine
 * download). Loading the WebAssembly and parsing cost 0.5–1 s on a 2-core machine — most of a
 * CLI run's start — so the result is cached on disk, keyed by the schema's text and the parser's
 * version: a schema parses once, then every run reads a small JSON file.
 */
export function readDmmf(schemaText: string, schemaPath = 'schema.prisma'): Dmmf {
  const cacheFile = dmmfCacheFile(schemaText, schemaPath)
  const cached = readCached(cacheFile)
  if (cached) return cached
  // Only the data model: the full DMMF also holds the query engine's schema, megabytes we never read.
  const dmmf: Dmmf = { datamodel: { models: parseDmmf(schemaText, schemaPath).datamodel.models } }
  writeCached(cacheFile, dmmf)
  return dmmf
}

function parseDmmf(schemaText: string, schemaPath: string): Dmmf {
  wasm ??= require('@prisma/prisma-schema-wasm') as PrismaSchemaWasm
  try {
    return JSON.parse(
      wasm.get_dmmf(JSON.stringify({ prismaSchema: [[schemaPath, schemaText]], noColor: true })),
    ) as Dmmf
  } catch (error) {
    const detail = extractPrismaMessage(error)
    throw new HarnessError({
      code: 'APPLICATION_INVALID',
      stage: 'application',
      message: `prisma schema invalid: ${detail} (${schemaPath})`,
      hint: 'Run `npx prisma validate` on the schema for the full report',
      context: { file: schemaPath },
      cause: error,
    })
  }
}

/**
 * `ROUNDTRIP_CACHE_DIR`, else a per-user folder in the system's temporary folder (a cache may
 * vanish at any time; it is only ever a shortcut).
 */
export function cacheDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user'
  return process.env.ROUNDTRIP_CACHE_DIR ?? path.join(os.tmpdir(), `roundtrip-cache-${uid}`)
}

function dmmfCacheFile(schemaText: string, schemaPath: string): string {
  const parser = (require('@prisma/prisma-schema-wasm/package.json') as { version: string }).version
  // The path is part of the key: it appears in the DMMF's error texts and nowhere else, but a
  // different key costs one parse, a wrong hit would cost a confusing message.
  const key = createHash('sha256').update(`${parser}\0${schemaPath}\0${schemaText}`).digest('hex').slice(0, 32)
  return path.join(cacheDir(), `dmmf-${key}.json`)
}

function readCached(file: string): Dmmf | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Dmmf
  } catch {
    return undefined // absent, or cut short by a crash mid-write elsewhere: parse again
  }
}

function writeCached(file: string, dmmf: Dmmf): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true })
    // Written aside and renamed, so a concurrent reader sees the whole file or none.
    const partial = `${file}.${process.pid}.partial`
    writeFileSync(partial, JSON.stringify(dmmf))
    renameSync(partial, file)
  } catch {
    // A read-only or full disk only loses the shortcut.
  }
}

function extractPrismaMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  try {
    const parsed = JSON.parse(text) as { message?: string }
    return (parsed.message ?? text).split('\n').filter(Boolean).slice(0, 6).join(' ').slice(0, 600)
  } catch {
    return text.slice(0, 600)
  }
}
