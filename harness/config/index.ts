/** `roundtrip/config`: what a `roundtrip.config.ts` imports. */
export { defineConfig, type DatabaseConfig, type RoundtripConfig } from './define-config.ts'
