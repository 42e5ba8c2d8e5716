"""The models of the generated bench snapshot (bench/generate-snapshot.ts), as Django declares them.

Equivalent to prisma/schema.prisma: the same tables, columns, types, nullability, unique sets and
foreign keys, so loaddata and our import write the same rows under the same constraints. Foreign
keys get no index of their own (db_index=False) because the Prisma schema declares none; Django
would otherwise add one per foreign key. The app label is `sentry` and the class names lowercase
to the snapshot's model names (`sentry.organizationmember`), so the snapshot is a fixture as it is.
"""
from django.db import models

CASCADE = models.CASCADE


def fk(to, **kwargs):
    return models.ForeignKey(to, on_delete=kwargs.pop("on_delete", CASCADE), db_index=False, **kwargs)


class Option(models.Model):
    key = models.CharField(max_length=128, unique=True)
    last_updated = models.DateTimeField()
    last_updated_by = models.CharField(max_length=16, default="unknown")
    value = models.JSONField()

    class Meta:
        db_table = "sentry_option"


class Organization(models.Model):
    name = models.CharField(max_length=64)
    slug = models.CharField(max_length=50, unique=True)
    status = models.IntegerField(default=0)
    date_added = models.DateTimeField()
    default_role = models.CharField(max_length=32, default="member")
    is_test = models.BooleanField(default=False)
    flags = models.TextField(default="1")

    class Meta:
        db_table = "sentry_organization"


class ProjectTemplate(models.Model):
    date_updated = models.DateTimeField()
    date_added = models.DateTimeField(null=True)
    name = models.CharField(max_length=200)
    organization = fk(Organization)

    class Meta:
        db_table = "sentry_projecttemplate"
        unique_together = [("name", "organization")]


class Team(models.Model):
    organization = fk(Organization)
    slug = models.CharField(max_length=50)
    name = models.CharField(max_length=64)
    status = models.IntegerField(default=0)
    idp_provisioned = models.BooleanField(default=False)
    date_added = models.DateTimeField(null=True)
    org_role = models.CharField(max_length=32, null=True)

    class Meta:
        db_table = "sentry_team"
        unique_together = [("organization", "slug")]


class User(models.Model):
    password = models.CharField(max_length=128)
    last_login = models.DateTimeField(null=True)
    username = models.CharField(max_length=128, unique=True)
    name = models.CharField(max_length=200, default="")
    email = models.CharField(max_length=75, default="")
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_unclaimed = models.BooleanField(default=False)
    is_superuser = models.BooleanField(default=False)
    is_managed = models.BooleanField(default=False)
    is_sentry_app = models.BooleanField(null=True)
    is_password_expired = models.BooleanField(default=False)
    last_password_change = models.DateTimeField(null=True)
    flags = models.TextField(null=True, default="0")
    session_nonce = models.CharField(max_length=12, null=True)
    date_joined = models.DateTimeField()
    last_active = models.DateTimeField(null=True)
    avatar_type = models.SmallIntegerField(default=0)
    avatar_url = models.CharField(max_length=120, null=True)

    class Meta:
        db_table = "auth_user"


class Project(models.Model):
    slug = models.CharField(max_length=100, null=True)
    name = models.CharField(max_length=200)
    forced_color = models.CharField(max_length=6, null=True)
    organization = fk(Organization)
    public = models.BooleanField(default=False)
    date_added = models.DateTimeField()
    status = models.IntegerField(default=0)
    first_event = models.DateTimeField(null=True)
    flags = models.TextField(null=True, default="10")
    platform = models.CharField(max_length=64, null=True)
    template = fk(ProjectTemplate, null=True)

    class Meta:
        db_table = "sentry_project"
        unique_together = [("organization", "slug")]


class OrganizationMember(models.Model):
    organization = fk(Organization)
    user_id = models.BigIntegerField(null=True)
    email = models.CharField(max_length=75, null=True)
    role = models.CharField(max_length=32, default="member")
    flags = models.TextField(default="0")
    token = models.CharField(max_length=64, null=True, unique=True)
    date_added = models.DateTimeField()
    token_expires_at = models.DateTimeField(null=True)
    has_global_access = models.BooleanField(default=True)
    inviter_id = models.BigIntegerField(null=True)
    invite_status = models.SmallIntegerField(null=True, default=0)
    type = models.IntegerField(default=50)
    user_is_active = models.BooleanField(default=True)
    user_email = models.CharField(max_length=75, null=True)

    class Meta:
        db_table = "sentry_organizationmember"
        unique_together = [("email", "organization"), ("organization", "user_id")]


class Email(models.Model):
    email = models.CharField(max_length=75, unique=True)
    date_added = models.DateTimeField()

    class Meta:
        db_table = "sentry_email"


class UserOption(models.Model):
    user = fk(User)
    project_id = models.BigIntegerField(null=True)
    organization_id = models.BigIntegerField(null=True)
    key = models.CharField(max_length=64)
    value = models.JSONField()

    class Meta:
        db_table = "sentry_useroption"
        unique_together = [("key", "organization_id", "user"), ("key", "project_id", "user")]


class UserEmail(models.Model):
    user = fk(User)
    email = models.CharField(max_length=75)
    validation_hash = models.CharField(max_length=32)
    date_hash_added = models.DateTimeField()
    is_verified = models.BooleanField(default=False)

    class Meta:
        db_table = "sentry_useremail"
        unique_together = [("email", "user")]


class Rule(models.Model):
    project = fk(Project)
    environment_id = models.BigIntegerField(null=True)
    label = models.CharField(max_length=256)
    data = models.TextField()
    status = models.IntegerField(default=0)
    source = models.IntegerField(default=0)
    date_added = models.DateTimeField()
    owner_user_id = models.BigIntegerField(null=True)
    owner_team = fk(Team, null=True, on_delete=models.SET_NULL)

    class Meta:
        db_table = "sentry_rule"


class ProjectTeam(models.Model):
    project = fk(Project)
    team = fk(Team)

    class Meta:
        db_table = "sentry_projectteam"
        unique_together = [("project", "team")]


class ProjectOption(models.Model):
    project = fk(Project)
    key = models.CharField(max_length=64)
    value = models.JSONField()

    class Meta:
        db_table = "sentry_projectoptions"
        unique_together = [("key", "project")]


class ProjectKey(models.Model):
    project = fk(Project)
    label = models.CharField(max_length=64, null=True)
    public_key = models.CharField(max_length=32, null=True, unique=True)
    secret_key = models.CharField(max_length=32, null=True, unique=True)
    roles = models.TextField(default="1")
    status = models.IntegerField(default=0)
    date_added = models.DateTimeField(null=True)
    rate_limit_count = models.IntegerField(null=True)
    rate_limit_window = models.IntegerField(null=True)
    data = models.JSONField(default=dict)

    class Meta:
        db_table = "sentry_projectkey"


class OrganizationMemberTeam(models.Model):
    team = fk(Team)
    organizationmember = fk(OrganizationMember)
    is_active = models.BooleanField(default=True)
    role = models.CharField(max_length=32, null=True)

    class Meta:
        db_table = "sentry_organizationmember_teams"
        unique_together = [("organizationmember", "team")]
