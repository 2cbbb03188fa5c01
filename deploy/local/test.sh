#!/usr/bin/env bash
# The test command: install and start the real local stack, then build and run
# every test (unit tests, then the integration tests against the stack).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

t0=$(date +%s)
deploy/local/stack.sh install
deploy/local/stack.sh up
. deploy/local/lib/java.sh
./mvnw -B -ntp verify "$@"
echo "test.sh: done in $(( $(date +%s) - t0 )) s"
