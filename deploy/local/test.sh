#!/usr/bin/env bash
# The test command: install and start the real local stack, then build and run
# every test (unit tests, then the integration tests against the stack).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

t0=$(date +%s)
deploy/local/stack.sh install
deploy/local/stack.sh up
# Maven's own downloads and the tests' JVMs must not pick up a pyenv python or
# a stale JAVA_HOME from the caller.
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/javac" ]; then
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
  export JAVA_HOME
fi
./mvnw -B -ntp verify "$@"
echo "test.sh: done in $(( $(date +%s) - t0 )) s"
