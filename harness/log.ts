import createDebug from 'debug'

/**
 * Diagnostic logging through `debug` namespaces (`DEBUG=roundtrip:*`). Never `console.log`:
 * what the user must see goes through the CLI's reporter instead.
 */
export function logger(namespace: string): createDebug.Debugger {
  return createDebug(`roundtrip:${namespace}`)
}
