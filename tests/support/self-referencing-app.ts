import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { loadApplication, type Application } from '../../harness/application/load-application.ts'
import { tempDir } from './temp.ts'

/** A row of the self-referencing application's one model; its name tells it from the others. */
export function category(pk: number, parent: number | null, name = `category ${pk}`) {
  return { model: 'shop.category', pk, fields: { name, parent } }
}

/** An application of one model whose rows point at each other: a tree of categories. */
export async function selfReferencingApplication(): Promise<Application> {
  const dir = await tempDir('roundtrip-selfref-')
  await writeFile(
    path.join(dir, 'schema.prisma'),
    `datasource db {
  provider = "postgresql"
}

model Category {
  id        BigInt     @id @default(autoincrement())
  name      String
  parent    Category?  @relation("Category_parent", fields: [parent_id], references: [id], onDelete: SetNull)
  parent_id BigInt?
  children  Category[] @relation("Category_parent")

  @@map("shop_category")
}
`,
  )
  await writeFile(
    path.join(dir, 'relocation.ts'),
    `export const relocation = { models: { 'shop.category': { scope: 'Global' } } }\n`,
  )
  const migration = path.join(dir, 'migrations', '20240101000000_init')
  await mkdir(migration, { recursive: true })
  await writeFile(path.join(dir, 'migrations', 'migration_lock.toml'), 'provider = "postgresql"\n')
  await writeFile(
    path.join(migration, 'migration.sql'),
    `CREATE TABLE "shop_category" ("id" BIGSERIAL PRIMARY KEY, "name" TEXT NOT NULL, "parent_id" BIGINT);
ALTER TABLE "shop_category" ADD CONSTRAINT "shop_category_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "shop_category"("id") ON DELETE SET NULL ON UPDATE CASCADE;
`,
  )
  return await loadApplication({ dir })
}
