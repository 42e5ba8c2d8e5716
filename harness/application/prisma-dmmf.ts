import { createRequire } from 'node:module'
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
 * download, about 25 ms).
 */
export function readDmmf(schemaText: string, schemaPath = 'schema.prisma'): Dmmf {
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

function extractPrismaMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  try {
    const parsed = JSON.parse(text) as { message?: string }
    return (parsed.message ?? text).split('\n').filter(Boolean).slice(0, 6).join(' ').slice(0, 600)
  } catch {
    return text.slice(0, 600)
  }
}
