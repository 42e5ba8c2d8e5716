/** Exit statuses shared by every subcommand. */
export const EXIT_OK = 0
/** The job ran and found a problem (findings, a failed import, a failed migration). */
export const EXIT_FAILURE = 1
/** The command line or an input was unusable: nothing was attempted. */
export const EXIT_USAGE = 2
