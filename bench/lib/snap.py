"""The bench's calls to Keystone, Glance, RabbitMQ and the agent's task API (Debian's /usr/bin/python3).

  snap.py token                               an admin token
  snap.py image GUEST_ENV NAME                a queued image as nova-api creates it; prints its id
  snap.py cast GUEST_ENV HOST IMAGE TIMEOUT   publishes snapshot_instance for IMAGE (queue bound
                                              first) and waits for instance.snapshot.end; prints the
                                              seconds from publish to the event
  snap.py check IMAGE [LOCATION]              the image is active (and has LOCATION); prints
                                              "size checksum"
  snap.py phases AGENT_URL IMAGE              the agent's task transitions, seconds after its creation
  snap.py delete IMAGE...                     deletes images, missing ones are fine
  snap.py drop-queues HOST                    deletes the agent's queues of HOST (after it stopped)

Environment: OS_AUTH_URL, OS_PASSWORD (admin), GLANCE_URL; BENCH_TOKEN saves a Keystone round trip.
"""
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
import uuid

BROKER = "amqp://guest:guest@127.0.0.1:5672//"
SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "src", "test", "resources", "rpc",
                      "snapshot_instance.cast.json")


def die(message):
    print("snap.py: " + message, file=sys.stderr)
    sys.exit(1)


def token():
    if os.environ.get("BENCH_TOKEN"):
        return os.environ["BENCH_TOKEN"]
    from keystoneauth1 import session
    from keystoneauth1.identity import v3
    auth = v3.Password(auth_url=os.environ["OS_AUTH_URL"], username="admin", password=os.environ["OS_PASSWORD"],
                       project_name="admin", user_domain_id="default", project_domain_id="default")
    return session.Session(auth=auth).get_token()


def glance(method, path, body=None, content_type="application/json", ok=(200, 201, 204)):
    req = urllib.request.Request(os.environ["GLANCE_URL"] + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"X-Auth-Token": token(), "Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        if e.code in ok:
            return e.code, None
        raise


def guest(env_file):
    return dict(line.strip().split("=", 1) for line in open(env_file) if "=" in line)


def create_image(env_file, name):
    g = guest(env_file)
    # what nova-api sets at create time (compute_utils.create_image)
    _, image = glance("POST", "/v2/images", {"name": name, "instance_uuid": g["UUID"], "image_type": "snapshot",
                                              "base_image_ref": g["IMAGE_REF"]})
    print(image["id"])


def cast_body(g, host, image_id):
    outer = json.load(open(SAMPLE))
    message = json.loads(outer["oslo.message"])
    data = message["args"]["instance"]["nova_object.data"]
    data.update(uuid=g["UUID"], host=host, node=host, display_name=g["NAME"], image_ref=g["IMAGE_REF"])
    data["system_metadata"]["image_base_image_ref"] = g["IMAGE_REF"]
    message["args"]["image_id"] = image_id
    message["_unique_id"] = uuid.uuid4().hex
    message["_context_request_id"] = "req-" + str(uuid.uuid4())
    message["_context_auth_token"] = None
    return json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(message)})


def cast(env_file, host, image_id, timeout):
    import kombu
    g = guest(env_file)
    body = cast_body(g, host, image_id)
    outcome = {}

    def on_event(payload, message):
        message.ack()
        outer = json.loads(payload) if isinstance(payload, (str, bytes)) else payload
        n = json.loads(outer["oslo.message"])
        p = n.get("payload", {}).get("nova_object.data", {})
        if p.get("uuid") != g["UUID"] or p.get("snapshot_image_id") != image_id:
            return
        if n["event_type"] in ("instance.snapshot.end", "instance.snapshot.error") and "at" not in outcome:
            outcome["at"] = time.monotonic()
            outcome["event"] = n["event_type"]
            f = p.get("fault") or {}
            f = f.get("nova_object.data", {}) if isinstance(f, dict) else {}
            outcome["fault"] = f"{f.get('exception')}: {f.get('exception_message')}"

    exchange = kombu.Exchange("nova", type="topic", durable=False, auto_delete=False)
    with kombu.Connection(BROKER) as conn:
        # bound before the cast, so the end event cannot be missed
        events = kombu.Queue("bench-events-" + uuid.uuid4().hex[:8], exchange=exchange,
                             routing_key="versioned_notifications.*", exclusive=True, auto_delete=True)
        with conn.Consumer(events, callbacks=[on_event], accept=["json", "text/plain", "application/json"]):
            with kombu.Connection(BROKER) as pub:
                producer = pub.Producer()
                exchange(pub.default_channel).declare()
                started = time.monotonic()
                producer.publish(body, exchange=exchange, routing_key="snapshot." + host,
                                 content_type="application/json", content_encoding="utf-8", delivery_mode=2)
            while "at" not in outcome and time.monotonic() - started < timeout:
                try:
                    conn.drain_events(timeout=0.5)
                except (socket.timeout, TimeoutError):
                    pass
    if "at" not in outcome:
        die(f"no instance.snapshot.end for image {image_id} within {timeout:.0f} s")
    if outcome["event"] != "instance.snapshot.end":
        die(f"the agent's snapshot of image {image_id} failed: {outcome['fault']}")
    print(f"{outcome['at'] - started:.3f}")


def check(image_id, location=None):
    _, image = glance("GET", "/v2/images/" + image_id)
    if image["status"] != "active":
        die(f"image {image_id} is {image['status']}, not active")
    if location is not None:
        urls = [l["url"] for l in image.get("locations", [])]
        if location not in urls:
            die(f"image {image_id} has locations {urls}, not {location}")
    print(image.get("size"), image.get("checksum") or "-")


def phases(agent_url, image_id):
    with urllib.request.urlopen(f"{agent_url}/v1/tasks?image={image_id}", timeout=10) as r:
        tasks = json.load(r)["tasks"]
    if not tasks:
        die(f"the agent has no task for image {image_id}")
    with urllib.request.urlopen(f"{agent_url}/v1/tasks/{tasks[0]['id']}", timeout=10) as r:
        task = json.load(r)
    from datetime import datetime
    created = datetime.fromisoformat(task["createdAt"].replace("Z", "+00:00"))
    steps = []
    for h in task.get("history") or []:
        at = datetime.fromisoformat(h["at"].replace("Z", "+00:00"))
        steps.append(f"{h['to'] or h['outcome'] or 'None'} {(at - created).total_seconds():.2f}")
    print(", ".join(steps))


def delete(*images):
    for image_id in images:
        glance("DELETE", "/v2/images/" + image_id, ok=(204, 404))


def drop_queues(host):
    import kombu
    with kombu.Connection(BROKER) as conn:
        for name in (f"snapshot-agent.{host}", f"snapshot-agent.{host}.dlq"):
            # a channel of its own each: a missing queue closes the channel it was asked on
            channel = conn.channel()
            try:
                channel.queue_delete(name)
            except Exception as e:  # amqp's NotFound: already gone
                print(f"snap.py: queue {name}: {e}", file=sys.stderr)
            finally:
                try:
                    channel.close()
                except Exception:
                    pass


if __name__ == "__main__":
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if command == "token":
        print(token())
    elif command == "image" and len(args) == 2:
        create_image(*args)
    elif command == "cast" and len(args) == 4:
        cast(args[0], args[1], args[2], float(args[3]))
    elif command == "check" and len(args) in (1, 2):
        check(*args)
    elif command == "phases" and len(args) == 2:
        phases(*args)
    elif command == "delete":
        delete(*args)
    elif command == "drop-queues" and len(args) == 1:
        drop_queues(args[0])
    else:
        die(__doc__)
