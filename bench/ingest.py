"""Ingest benchmark: casts/s from publish to committed task, and latency from publish to the
agent's instance.snapshot.start notification, against a baseline measured in the same run: the
broker's own round trip (publish to a plain queue, consume it) for the same messages.

usage: ingest.py AGENT_URL HOST COUNT
"""
import json
import statistics
import sys
import threading
import time
import urllib.request
import uuid

import kombu

agent, host, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sample = json.load(open("src/test/resources/rpc/snapshot_instance.cast.json"))
inner = json.loads(sample["oslo.message"])
URL = "amqp://guest:guest@127.0.0.1:5672//"
nova = kombu.Exchange("nova", type="topic", durable=False, auto_delete=False)


def cast_body(image):
    m = json.loads(json.dumps(inner))
    m["args"]["image_id"] = image
    m["args"]["instance"]["nova_object.data"]["uuid"] = str(uuid.uuid4())
    m["args"]["instance"]["nova_object.data"]["host"] = host
    m["_unique_id"] = uuid.uuid4().hex
    return json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(m)})


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(routing_key, bind_key, extract):
    """Publishes COUNT casts to routing_key; collects, per image id, when bind_key delivered it."""
    images = [str(uuid.uuid4()) for _ in range(count)]
    sent, seen = {}, {}
    done = threading.Event()
    with kombu.Connection(URL) as conn:
        queue = kombu.Queue("bench-" + uuid.uuid4().hex[:8], exchange=nova, routing_key=bind_key,
                            exclusive=True, auto_delete=True)

        def on_message(body, message):
            image = extract(body)
            if image in sent and image not in seen:
                seen[image] = time.monotonic()
                if len(seen) == count:
                    done.set()
            message.ack()

        with conn.Consumer(queue, callbacks=[on_message], accept=["json", "text/plain", "application/json"]):
            with kombu.Connection(URL) as pub:
                producer = pub.Producer()
                start = time.monotonic()
                for image in images:
                    sent[image] = time.monotonic()
                    producer.publish(cast_body(image), exchange=nova, routing_key=routing_key, declare=[nova],
                                     content_type="application/json", content_encoding="utf-8", delivery_mode=2)
            deadline = time.monotonic() + 300
            while not done.is_set() and time.monotonic() < deadline:
                try:
                    conn.drain_events(timeout=1)
                except TimeoutError:
                    pass
                except Exception:  # socket.timeout on older kombu
                    pass
            end = time.monotonic()
    latencies = [(seen[i] - sent[i]) * 1000 for i in seen]
    return start, end, latencies, len(seen)


def payload_image(body):
    outer = json.loads(body) if isinstance(body, (str, bytes)) else body
    msg = json.loads(outer["oslo.message"])
    return msg.get("payload", {}).get("nova_object.data", {}).get("snapshot_image_id") \
        or msg.get("args", {}).get("image_id")


def committed(images_before):
    with urllib.request.urlopen(agent + "/v1/tasks?limit=1") as r:
        return json.load(r)["total"]


# baseline: the same casts, published to a key only the bench listens on
b_start, b_end, b_lat, b_n = run("bench-baseline." + host, "bench-baseline." + host, payload_image)
before = committed(None)
all_committed = {}


def watch_commits():
    """When the last of the COUNT tasks is committed (the agent's REST API counts them)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if committed(None) >= before + count:
            all_committed["at"] = time.monotonic()
            return
        time.sleep(0.05)


watcher = threading.Thread(target=watch_commits, daemon=True)
watcher.start()
a_start, a_end, a_lat, a_n = run("snapshot." + host, "versioned_notifications.info", payload_image)
watcher.join(timeout=300)
after = committed(None)

print(f"casts: {count}")
print(f"baseline (broker round trip): {b_n}/{count} delivered, p50 {pct(b_lat, 50):.1f} ms, p99 {pct(b_lat, 99):.1f} ms")
print(f"agent (publish -> instance.snapshot.start): {a_n}/{count} started, "
      f"p50 {pct(a_lat, 50):.1f} ms, p99 {pct(a_lat, 99):.1f} ms")
ingest = f"{(after - before) / (all_committed['at'] - a_start):.0f} casts/s to committed tasks" \
    if "at" in all_committed else "not all committed within 300 s"
print(f"agent ingest: {after - before} tasks committed, {ingest}, {a_n / (a_end - a_start):.0f} casts/s to start event "
      f"(baseline broker {b_n / (b_end - b_start):.0f} msg/s)")
print(f"ratio agent/baseline latency: p50 {pct(a_lat, 50) / max(pct(b_lat, 50), 0.001):.1f}x, "
      f"p99 {pct(a_lat, 99) / max(pct(b_lat, 99), 0.001):.1f}x")
