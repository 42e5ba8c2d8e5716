-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "sentry_integration" (
    "id" BIGSERIAL NOT NULL,
    "date_added" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,
    "date_updated" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "external_id" VARCHAR(64) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "provider" VARCHAR(64) NOT NULL,
    "status" INTEGER DEFAULT 0,

    CONSTRAINT "sentry_integration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_option" (
    "id" BIGSERIAL NOT NULL,
    "key" VARCHAR(128) NOT NULL,
    "last_updated" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_updated_by" VARCHAR(16) NOT NULL DEFAULT 'unknown',
    "value" JSON NOT NULL,

    CONSTRAINT "sentry_option_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_organization" (
    "id" BIGSERIAL NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "slug" VARCHAR(50) NOT NULL,
    "status" INTEGER NOT NULL DEFAULT 0,
    "date_added" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "default_role" VARCHAR(32) NOT NULL DEFAULT 'member',
    "is_test" BOOLEAN NOT NULL DEFAULT false,
    "flags" TEXT NOT NULL DEFAULT '1',

    CONSTRAINT "sentry_organization_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_projecttemplate" (
    "id" BIGSERIAL NOT NULL,
    "date_updated" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "date_added" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,
    "name" VARCHAR(200) NOT NULL,
    "organization_id" BIGINT NOT NULL,

    CONSTRAINT "sentry_projecttemplate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_relay" (
    "id" BIGSERIAL NOT NULL,
    "relay_id" VARCHAR(64) NOT NULL,
    "public_key" VARCHAR(200) NOT NULL,
    "first_seen" TIMESTAMPTZ(6),
    "last_seen" TIMESTAMPTZ(6),
    "is_internal" BOOLEAN,

    CONSTRAINT "sentry_relay_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_relayusage" (
    "id" BIGSERIAL NOT NULL,
    "relay_id" VARCHAR(64) NOT NULL,
    "version" VARCHAR(32) NOT NULL DEFAULT '0.0.1',
    "first_seen" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "public_key" VARCHAR(200),

    CONSTRAINT "sentry_relayusage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_team" (
    "id" BIGSERIAL NOT NULL,
    "organization_id" BIGINT NOT NULL,
    "slug" VARCHAR(50) NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "status" INTEGER NOT NULL DEFAULT 0,
    "idp_provisioned" BOOLEAN NOT NULL DEFAULT false,
    "date_added" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,
    "org_role" VARCHAR(32),

    CONSTRAINT "sentry_team_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "auth_user" (
    "id" BIGSERIAL NOT NULL,
    "password" VARCHAR(128) NOT NULL,
    "last_login" TIMESTAMPTZ(6),
    "username" VARCHAR(128) NOT NULL,
    "name" VARCHAR(200) NOT NULL DEFAULT '',
    "email" VARCHAR(75) NOT NULL DEFAULT '',
    "is_staff" BOOLEAN NOT NULL DEFAULT false,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "is_unclaimed" BOOLEAN NOT NULL DEFAULT false,
    "is_superuser" BOOLEAN NOT NULL DEFAULT false,
    "is_managed" BOOLEAN NOT NULL DEFAULT false,
    "is_sentry_app" BOOLEAN,
    "is_password_expired" BOOLEAN NOT NULL DEFAULT false,
    "last_password_change" TIMESTAMPTZ(6),
    "flags" TEXT DEFAULT '0',
    "session_nonce" VARCHAR(12),
    "date_joined" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_active" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,
    "avatar_type" SMALLINT NOT NULL DEFAULT 0,
    "avatar_url" VARCHAR(120),

    CONSTRAINT "auth_user_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_userip" (
    "id" BIGSERIAL NOT NULL,
    "user_id" BIGINT NOT NULL,
    "ip_address" VARCHAR(39) NOT NULL,
    "country_code" VARCHAR(16),
    "region_code" VARCHAR(16),
    "first_seen" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sentry_userip_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_userpermission" (
    "id" BIGSERIAL NOT NULL,
    "user_id" BIGINT NOT NULL,
    "permission" VARCHAR(32) NOT NULL,

    CONSTRAINT "sentry_userpermission_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_userrole" (
    "id" BIGSERIAL NOT NULL,
    "date_updated" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "date_added" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,
    "name" VARCHAR(32) NOT NULL,
    "permissions" TEXT NOT NULL DEFAULT '[]',

    CONSTRAINT "sentry_userrole_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_userrole_users" (
    "id" BIGSERIAL NOT NULL,
    "date_updated" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "date_added" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,
    "user_id" BIGINT NOT NULL,
    "role_id" BIGINT NOT NULL,

    CONSTRAINT "sentry_userrole_users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_project" (
    "id" BIGSERIAL NOT NULL,
    "slug" VARCHAR(100),
    "name" VARCHAR(200) NOT NULL,
    "forced_color" VARCHAR(6),
    "organization_id" BIGINT NOT NULL,
    "public" BOOLEAN NOT NULL DEFAULT false,
    "date_added" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" INTEGER NOT NULL DEFAULT 0,
    "first_event" TIMESTAMPTZ(6),
    "flags" TEXT DEFAULT '10',
    "platform" VARCHAR(64),
    "template_id" BIGINT,

    CONSTRAINT "sentry_project_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_organizationmember" (
    "id" BIGSERIAL NOT NULL,
    "organization_id" BIGINT NOT NULL,
    "user_id" BIGINT,
    "email" VARCHAR(75),
    "role" VARCHAR(32) NOT NULL DEFAULT 'member',
    "flags" TEXT NOT NULL DEFAULT '0',
    "token" VARCHAR(64),
    "date_added" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "token_expires_at" TIMESTAMPTZ(6),
    "has_global_access" BOOLEAN NOT NULL DEFAULT true,
    "inviter_id" BIGINT,
    "invite_status" SMALLINT DEFAULT 0,
    "type" INTEGER NOT NULL DEFAULT 50,
    "user_is_active" BOOLEAN NOT NULL DEFAULT true,
    "user_email" VARCHAR(75),

    CONSTRAINT "sentry_organizationmember_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_environment" (
    "id" BIGSERIAL NOT NULL,
    "organization_id" BIGINT NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "date_added" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sentry_environment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_email" (
    "id" BIGSERIAL NOT NULL,
    "email" VARCHAR(75) NOT NULL,
    "date_added" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sentry_email_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "auth_authenticator" (
    "id" BIGSERIAL NOT NULL,
    "user_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(6),
    "type" INTEGER NOT NULL,
    "config" TEXT NOT NULL,

    CONSTRAINT "auth_authenticator_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_apiapplication" (
    "id" BIGSERIAL NOT NULL,
    "client_id" VARCHAR(64) NOT NULL,
    "client_secret" TEXT NOT NULL,
    "owner_id" BIGINT,
    "name" VARCHAR(64) NOT NULL,
    "status" INTEGER NOT NULL DEFAULT 0,
    "allowed_origins" TEXT,
    "redirect_uris" TEXT NOT NULL,
    "homepage_url" VARCHAR(200),
    "privacy_url" VARCHAR(200),
    "terms_url" VARCHAR(200),
    "date_added" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sentry_apiapplication_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_useroption" (
    "id" BIGSERIAL NOT NULL,
    "user_id" BIGINT NOT NULL,
    "project_id" BIGINT,
    "organization_id" BIGINT,
    "key" VARCHAR(64) NOT NULL,
    "value" JSON NOT NULL,

    CONSTRAINT "sentry_useroption_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_useremail" (
    "id" BIGSERIAL NOT NULL,
    "user_id" BIGINT NOT NULL,
    "email" VARCHAR(75) NOT NULL,
    "validation_hash" VARCHAR(32) NOT NULL,
    "date_hash_added" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "is_verified" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "sentry_useremail_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_rule" (
    "id" BIGSERIAL NOT NULL,
    "project_id" BIGINT NOT NULL,
    "environment_id" BIGINT,
    "label" VARCHAR(256) NOT NULL,
    "data" TEXT NOT NULL,
    "status" INTEGER NOT NULL DEFAULT 0,
    "source" INTEGER NOT NULL DEFAULT 0,
    "date_added" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "owner_user_id" BIGINT,
    "owner_team_id" BIGINT,

    CONSTRAINT "sentry_rule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_projectteam" (
    "id" BIGSERIAL NOT NULL,
    "project_id" BIGINT NOT NULL,
    "team_id" BIGINT NOT NULL,

    CONSTRAINT "sentry_projectteam_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_projectoptions" (
    "id" BIGSERIAL NOT NULL,
    "project_id" BIGINT NOT NULL,
    "key" VARCHAR(64) NOT NULL,
    "value" JSON NOT NULL,

    CONSTRAINT "sentry_projectoptions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_projectkey" (
    "id" BIGSERIAL NOT NULL,
    "project_id" BIGINT NOT NULL,
    "label" VARCHAR(64),
    "public_key" VARCHAR(32),
    "secret_key" VARCHAR(32),
    "roles" TEXT NOT NULL DEFAULT '1',
    "status" INTEGER NOT NULL DEFAULT 0,
    "date_added" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,
    "rate_limit_count" INTEGER,
    "rate_limit_window" INTEGER,
    "data" JSON NOT NULL DEFAULT '{}',

    CONSTRAINT "sentry_projectkey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sentry_organizationmember_teams" (
    "id" BIGSERIAL NOT NULL,
    "team_id" BIGINT NOT NULL,
    "organizationmember_id" BIGINT NOT NULL,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "role" VARCHAR(32),

    CONSTRAINT "sentry_organizationmember_teams_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "sentry_integration_external_id_provider_key" ON "sentry_integration"("external_id", "provider");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_option_key_key" ON "sentry_option"("key");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_organization_slug_key" ON "sentry_organization"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_projecttemplate_name_organization_id_key" ON "sentry_projecttemplate"("name", "organization_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_relay_relay_id_key" ON "sentry_relay"("relay_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_relayusage_relay_id_version_key" ON "sentry_relayusage"("relay_id", "version");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_team_organization_id_slug_key" ON "sentry_team"("organization_id", "slug");

-- CreateIndex
CREATE UNIQUE INDEX "auth_user_username_key" ON "auth_user"("username");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_userip_ip_address_user_id_key" ON "sentry_userip"("ip_address", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_userpermission_permission_user_id_key" ON "sentry_userpermission"("permission", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_userrole_name_key" ON "sentry_userrole"("name");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_project_organization_id_slug_key" ON "sentry_project"("organization_id", "slug");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_organizationmember_token_key" ON "sentry_organizationmember"("token");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_organizationmember_email_organization_id_key" ON "sentry_organizationmember"("email", "organization_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_organizationmember_organization_id_user_id_key" ON "sentry_organizationmember"("organization_id", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_environment_name_organization_id_key" ON "sentry_environment"("name", "organization_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_email_email_key" ON "sentry_email"("email");

-- CreateIndex
CREATE UNIQUE INDEX "auth_authenticator_type_user_id_key" ON "auth_authenticator"("type", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_apiapplication_client_id_key" ON "sentry_apiapplication"("client_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_useroption_key_organization_id_user_id_key" ON "sentry_useroption"("key", "organization_id", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_useroption_key_project_id_user_id_key" ON "sentry_useroption"("key", "project_id", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_useremail_email_user_id_key" ON "sentry_useremail"("email", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_projectteam_project_id_team_id_key" ON "sentry_projectteam"("project_id", "team_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_projectoptions_key_project_id_key" ON "sentry_projectoptions"("key", "project_id");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_projectkey_public_key_key" ON "sentry_projectkey"("public_key");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_projectkey_secret_key_key" ON "sentry_projectkey"("secret_key");

-- CreateIndex
CREATE UNIQUE INDEX "sentry_organizationmember_teams_member_team_key" ON "sentry_organizationmember_teams"("organizationmember_id", "team_id");

-- AddForeignKey
ALTER TABLE "sentry_projecttemplate" ADD CONSTRAINT "sentry_projecttemplate_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "sentry_organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_team" ADD CONSTRAINT "sentry_team_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "sentry_organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_userip" ADD CONSTRAINT "sentry_userip_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_userpermission" ADD CONSTRAINT "sentry_userpermission_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_userrole_users" ADD CONSTRAINT "sentry_userrole_users_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_userrole_users" ADD CONSTRAINT "sentry_userrole_users_role_id_fkey" FOREIGN KEY ("role_id") REFERENCES "sentry_userrole"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_project" ADD CONSTRAINT "sentry_project_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "sentry_organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_project" ADD CONSTRAINT "sentry_project_template_id_fkey" FOREIGN KEY ("template_id") REFERENCES "sentry_projecttemplate"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_organizationmember" ADD CONSTRAINT "sentry_organizationmember_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "sentry_organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "auth_authenticator" ADD CONSTRAINT "auth_authenticator_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_apiapplication" ADD CONSTRAINT "sentry_apiapplication_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "auth_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_useroption" ADD CONSTRAINT "sentry_useroption_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_useremail" ADD CONSTRAINT "sentry_useremail_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_rule" ADD CONSTRAINT "sentry_rule_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "sentry_project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_rule" ADD CONSTRAINT "sentry_rule_owner_team_id_fkey" FOREIGN KEY ("owner_team_id") REFERENCES "sentry_team"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_projectteam" ADD CONSTRAINT "sentry_projectteam_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "sentry_project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_projectteam" ADD CONSTRAINT "sentry_projectteam_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "sentry_team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_projectoptions" ADD CONSTRAINT "sentry_projectoptions_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "sentry_project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_projectkey" ADD CONSTRAINT "sentry_projectkey_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "sentry_project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_organizationmember_teams" ADD CONSTRAINT "sentry_organizationmember_teams_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "sentry_team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sentry_organizationmember_teams" ADD CONSTRAINT "sentry_organizationmember_teams_organizationmember_id_fkey" FOREIGN KEY ("organizationmember_id") REFERENCES "sentry_organizationmember"("id") ON DELETE CASCADE ON UPDATE CASCADE;
