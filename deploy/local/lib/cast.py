"""Publishes a snapshot_instance cast for a local guest, as nova-api would:
creates the queued Glance image (nova's compute_utils.create_image), then sends
the cast in oslo.messaging's wire format (envelope 2.0, exchange nova, routing
key <topic>.<host>), built from the captured sample with this guest's ids.

usage: cast.py SAMPLE GUEST_ENV HOST TOPIC [--follow SECONDS]
Prints the image id. With --follow it then prints the agent's notifications about
that image as they arrive (event, task state change, seconds since the cast) until
instance.snapshot.end or .error, and exits 0 on end, 1 on error, 2 on timeout.
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
follow = float(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[5] == "--follow" else None
guest = dict(line.strip().split("=", 1) for line in open(guest_env) if "=" in line)

auth = v3.Password(auth_url=os.environ["OS_AUTH_URL"], username="admin", password=os.environ["OS_PASSWORD"],
                   project_name="admin", user_domain_id="default", project_domain_id="default")
token = session.Session(auth=auth).get_token()
req = urllib.request.Request(os.environ["GLANCE_URL"] + "/v2/images", method="POST",
                             data=json.dumps({"name": "snapshot-of-" + guest["NAME"],
                                              # what nova-api sets at create time (compute_utils.create_image)
                                              "instance_uuid": guest["UUID"], "image_type": "snapshot",
                                              "base_image_ref": guest["IMAGE_REF"]}).encode(),
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

def state_change(payload):
    s = payload.get("state_update", {}).get("nova_object.data", {})
    return f'{s.get("old_task_state") or "None"} -> {s.get("new_task_state") or "None"}' if s else ""


with kombu.Connection("amqp://guest:guest@127.0.0.1:5672//") as conn:
    exchange = kombu.Exchange("nova", type="topic", durable=False, auto_delete=False)
    events = None
    if follow is not None:
        # bound before the cast, so no event of this snapshot can be missed
        events = kombu.Queue("", exchange=exchange, routing_key="versioned_notifications.*", exclusive=True,
                             auto_delete=True)
        events = events(conn.default_channel)
        events.declare()
    conn.Producer().publish(body, exchange=exchange, routing_key=topic + "." + host, declare=[exchange],
                            content_type="application/json", content_encoding="utf-8", delivery_mode=2)
    print(image_id, flush=True)
    if events is None:
        sys.exit(0)
    import time
    t0 = time.monotonic()
    while time.monotonic() - t0 < follow:
        m = events.get(no_ack=True)
        if m is None:
            time.sleep(0.05)
            continue
        n = json.loads(json.loads(m.body)["oslo.message"])
        p = n["payload"]["nova_object.data"]
        if p.get("uuid") != guest["UUID"] or p.get("snapshot_image_id", image_id) != image_id:
            continue
        line = f'  {time.monotonic() - t0:7.2f} s  {n["event_type"]:<24} {state_change(p)}'
        if n["event_type"] == "instance.snapshot.error":
            f = p.get("fault", {}).get("nova_object.data", {})
            line += f'{f.get("exception")}: {f.get("exception_message")}'
        print(line, file=sys.stderr, flush=True)
        if n["event_type"] == "instance.snapshot.end":
            sys.exit(0)
        if n["event_type"] == "instance.snapshot.error":
            sys.exit(1)
    print(f"  no end of the snapshot within {follow:.0f} s", file=sys.stderr)
    sys.exit(2)
