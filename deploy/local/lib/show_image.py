"""Prints a snapshot's Glance image and checks its content against the guest's disk.

usage: show_image.py IMAGE_ID EXPECTED_SHA256 CEPH_CONF   (exit 1 when the check fails)
Direct path (an rbd:// location): the clone's snap is read with `rbd export`.
Fallback (uploaded data): the image file is downloaded from Glance.
Environment: OS_AUTH_URL, OS_PASSWORD (admin), GLANCE_URL.
"""
import hashlib
import json
import os
import subprocess
import sys
import urllib.request

from keystoneauth1 import session
from keystoneauth1.identity import v3

image_id, expected, ceph_conf = sys.argv[1:4]
auth = v3.Password(auth_url=os.environ["OS_AUTH_URL"], username="admin", password=os.environ["OS_PASSWORD"],
                   project_name="admin", user_domain_id="default", project_domain_id="default")
token = session.Session(auth=auth).get_token()
glance = os.environ["GLANCE_URL"]
req = urllib.request.Request(f"{glance}/v2/images/{image_id}", headers={"X-Auth-Token": token})
try:
    image = json.load(urllib.request.urlopen(req, timeout=30))
except urllib.error.HTTPError as e:
    print(f"Glance image {image_id}: {e.code} (deleted after the failure, as nova does)")
    sys.exit(1)

print(f"Glance image {image_id}:")
for key in ("name", "status", "disk_format", "container_format", "size", "image_type", "image_location",
            "instance_uuid", "base_image_ref", "owner_id"):
    print(f"  {key:<17} {image.get(key)}")
locations = [l["url"] for l in image.get("locations", [])]
print(f"  {'locations':<17} {', '.join(locations) or '-'}")

sha = hashlib.sha256()
rbd = next((l for l in locations if l.startswith("rbd://")), None)
if rbd:
    _, _, _, pool, name, snap = rbd.split("/")
    how = f"rbd export {pool}/{name}@{snap}"
    with subprocess.Popen(["rbd", "-c", ceph_conf, "--id", "admin", "export", f"{pool}/{name}@{snap}", "-"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as p:
        for chunk in iter(lambda: p.stdout.read(1 << 20), b""):
            sha.update(chunk)
else:
    how = "download of the image data"
    data = urllib.request.urlopen(urllib.request.Request(f"{glance}/v2/images/{image_id}/file",
                                                         headers={"X-Auth-Token": token}), timeout=300)
    for chunk in iter(lambda: data.read(1 << 20), b""):
        sha.update(chunk)
ok = image.get("status") == "active" and sha.hexdigest() == expected
print(f"Content check ({how}): sha256 {sha.hexdigest()}")
print(f"  guest disk sha256 {expected}: {'identical' if ok else 'DIFFERENT'}")
sys.exit(0 if ok else 1)
