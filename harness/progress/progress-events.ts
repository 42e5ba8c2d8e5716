/**
 * What long steps report while they run. The engine only emits these; how (or whether) they are
 * shown is the caller's business — the CLI draws a bar on a terminal and prints a plain line
 * every few seconds elsewhere (see `progress-display.ts`).
 */
export interface ProgressUpdate {
  /** The step running: `import`, `export`, … */
  readonly step: string
  /** What the step works on, e.g. the snapshot file. */
  readonly subject?: string
  /** The model whose rows are being processed, once there is one. */
  readonly model?: string
  /** Rows processed so far in this step. */
  readonly rows: number
  /** Rows the step will process, when known up front (an export counts its tables first). */
  readonly totalRows?: number
  /** Models completely processed so far. */
  readonly modelsDone: number
  /** Models the step will process. */
  readonly modelsTotal: number
  /** Bytes read so far, for steps that read a file of known size. */
  readonly bytes?: number
  readonly totalBytes?: number
  /** True on the step's last update. */
  readonly done?: boolean
}

export type ProgressListener = (update: ProgressUpdate) => void

/** How far along an update is, 0…1, when the step knows its total; else undefined. */
export function fractionDone(update: ProgressUpdate): number | undefined {
  if (update.done) return 1
  if (update.totalRows !== undefined && update.totalRows > 0) return Math.min(1, update.rows / update.totalRows)
  if (update.totalBytes !== undefined && update.totalBytes > 0 && update.bytes !== undefined) {
    return Math.min(1, update.bytes / update.totalBytes)
  }
  return undefined
}
