import { afterAll } from 'vitest'
import { removeTemp } from './temp.ts'

// Every test file's temporary files go when its tests have run (see ./temp.ts).
afterAll(removeTemp)
