# Sourced by demo.sh and test.sh: a JAVA_HOME with a JDK for the Maven wrapper,
# whatever the caller's environment says.
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/javac" ]; then
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
  export JAVA_HOME
fi
