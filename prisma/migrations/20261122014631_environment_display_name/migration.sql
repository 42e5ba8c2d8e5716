-- Written by hand: Prisma's generated script drops "name" and adds "display_name", losing every
-- environment's name (and could not add a NOT NULL column to a table with rows). A rename keeps
-- the data, and renaming the unique index to Prisma's naming convention leaves no drift.

-- RenameColumn
ALTER TABLE "sentry_environment" RENAME COLUMN "name" TO "display_name";

-- RenameIndex
ALTER INDEX "sentry_environment_name_organization_id_key" RENAME TO "sentry_environment_display_name_organization_id_key";

-- AddColumn
ALTER TABLE "sentry_environment" ADD COLUMN "slug" VARCHAR(64) NOT NULL DEFAULT '';

-- Data migration: each existing environment's slug from its name: lower-case, runs of characters
-- other than a-z and 0-9 become one "-", no "-" at either end ("Staging QA" → "staging-qa"). The
-- runs are replaced before lower-casing, so lower() meets only ASCII letters: the result does not
-- depend on the database's locale and is never longer than the name (it fits the same 64).
UPDATE "sentry_environment"
   SET "slug" = trim(both '-' from lower(regexp_replace("display_name", '[^A-Za-z0-9]+', '-', 'g')));
