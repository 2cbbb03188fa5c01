"""Creates the local stack's Keystone content in one process (each CLI call
costs ~2 s of start-up): the service project, nova/glance/demo users and the
image service with its endpoints. Safe to run again."""
import os
import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client

ks_url, glance_url = sys.argv[1], sys.argv[2]
auth = v3.Password(auth_url=ks_url, username="admin", password=os.environ["OS_ADMIN_PASSWORD"],
                   project_name="admin", user_domain_id="default", project_domain_id="default")
ks = client.Client(session=session.Session(auth=auth), interface="public")


def one(manager, name, **create):
    found = [x for x in manager.list() if x.name == name]
    return found[0] if found else manager.create(name=name, **create)


service = one(ks.projects, "service", domain="default", description="Service project")
demo = one(ks.projects, "demo", domain="default", description="Demo tenant")
admin_role = one(ks.roles, "admin")
service_role = one(ks.roles, "service")
member_role = one(ks.roles, "member")
reader_role = one(ks.roles, "reader")

for user, project, roles in (("nova", service, (admin_role, service_role)),
                             ("glance", service, (admin_role, service_role)),
                             ("demo", demo, (member_role, reader_role))):
    password = os.environ[user.upper() + "_PASSWORD"]
    u = [x for x in ks.users.list(domain="default") if x.name == user]
    u = ks.users.update(u[0], password=password) if u else ks.users.create(
        name=user, domain="default", password=password, default_project=project)
    for role in roles:
        ks.roles.grant(role, user=u, project=project)

image = [s for s in ks.services.list() if s.type == "image"]
image = image[0] if image else ks.services.create(name="glance", type="image", description="Image service")
have = {e.interface for e in ks.endpoints.list(service=image)}
for interface in ("public", "internal", "admin"):
    if interface not in have:
        ks.endpoints.create(service=image, url=glance_url, interface=interface, region="RegionOne")
print("keystone seeded")
