// Started detached by the container provider when its process exits with containers still
// running: waits for that process to be gone, then removes the containers it left behind.
// Usage: reap-after-exit.ts <pid>
import { reapOrphanedContainers } from './container-provider.ts'
import { isAlive } from './embedded-provider.ts'

const owner = Number(process.argv[2])
const deadline = Date.now() + 30_000
while (isAlive(owner) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
await reapOrphanedContainers().catch(() => {})
