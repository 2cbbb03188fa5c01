"""Publishes a snapshot_instance cast for a local guest, as nova-api would:
creates the queued Glance image (nova's compute_utils.create_image), then sends
the cast in oslo.messaging's wire format (envelope 2.0, exchange nova, routing
key <topic>.<host>), built from the captured sample with this guest's ids.

usage: cast.py SAMPLE GUEST_ENV HOST TOPIC   (prints the image id)
Environment: OS_* for the admin, GLANCE_URL.
"""
import json
import os
import sys
import urllib.request
import uuid

import kombu
from keystoneauth1 import session
from keystoneauth1.identity import v3

sample, guest_env, host, topic = sys.argv[1:5]
guest = dict(line.strip().split("=", 1) for line in open(guest_env) if "=" in line)

auth = v3.Password(auth_url=os.environ["OS_AUTH_URL"], username="admin", password=os.environ["OS_PASSWORD"],
                   project_name="admin", user_domain_id="default", project_domain_id="default")
token = session.Session(auth=auth).get_token()
req = urllib.request.Request(os.environ["GLANCE_URL"] + "/v2/images", method="POST",
                             data=json.dumps({"name": "snapshot-of-" + guest["NAME"]}).encode(),
                             headers={"X-Auth-Token": token, "Content-Type": "application/json"})
image_id = json.load(urllib.request.urlopen(req, timeout=30))["id"]

outer = json.load(open(sample))
message = json.loads(outer["oslo.message"])
data = message["args"]["instance"]["nova_object.data"]
data.update(uuid=guest["UUID"], host=host, node=host, display_name=guest["NAME"], image_ref=guest["IMAGE_REF"])
data["system_metadata"]["image_base_image_ref"] = guest["IMAGE_REF"]
message["args"]["image_id"] = image_id
message["_unique_id"] = uuid.uuid4().hex
message["_context_request_id"] = "req-" + str(uuid.uuid4())
message["_context_auth_token"] = None
body = json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(message)})

with kombu.Connection("amqp://guest:guest@127.0.0.1:5672//") as conn:
    exchange = kombu.Exchange("nova", type="topic", durable=False, auto_delete=False)
    conn.Producer().publish(body, exchange=exchange, routing_key=topic + "." + host, declare=[exchange],
                            content_type="application/json", content_encoding="utf-8", delivery_mode=2)
print(image_id)
