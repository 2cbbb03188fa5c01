#!/usr/bin/env bash
# Ingest benchmark (issue 3): starts the local stack and the agent (demo.sh), then publishes
# COUNT casts and reports throughput and publish->instance.snapshot.start latency next to the
# broker's own round trip measured in the same run.   usage: bench/ingest.sh [COUNT]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
count=${1:-500}
deploy/local/demo.sh >/dev/null
eval "$(deploy/local/stack.sh env)"
/usr/bin/python3 bench/ingest.py "http://127.0.0.1:${SNAPSHOT_DEMO_PORT:-8780}" "$SNAPSHOT_HOST" "$count"
