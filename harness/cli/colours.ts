import picocolors from 'picocolors'

/** The styling functions a command uses; each returns its input unchanged when colour is off. */
export type Colours = ReturnType<typeof picocolors.createColors>

/**
 * Colour is for a person at a terminal: never into a pipe, a file or a CI log (which is not a
 * terminal), and never when `NO_COLOR` is set to anything but the empty string (no-color.org).
 * picocolors' own detection looks at stdout, but our messages go to stderr, hence the explicit flag.
 */
export function colourWanted(isTerminal: boolean, env: NodeJS.ProcessEnv): boolean {
  return isTerminal && !env.NO_COLOR
}

export function coloursFor(isTerminal: boolean, env: NodeJS.ProcessEnv): Colours {
  return picocolors.createColors(colourWanted(isTerminal, env))
}
