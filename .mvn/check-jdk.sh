#!/bin/sh
# cm4j compiles for Java 21 and uses the incubating Vector API: the build (maven-toolchains-plugin) must find a JDK >= 21
# to compile, test and run with. Fail early, in one line, if none exists. Maven itself runs on that JDK too: the jar
# plugin hands each module's module-info.class (class version 65) to the jar tool of Maven's own JDK, which an older
# JDK cannot read.
cm4j_jdk_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1
}
cm4j_find_jdk() {
  for home in "${JAVA_HOME:-}" /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "${HOME:-/root}"/.jdks/* "${HOME:-/root}"/.sdkman/candidates/java/*; do
    [ -n "$home" ] && [ -x "$home/bin/javac" ] || continue
    major=$(cm4j_jdk_major "$home")
    [ -n "$major" ] && [ "${major%%.*}" -ge 21 ] 2>/dev/null && return 0
  done
  return 1
}
if ! cm4j_find_jdk; then
  echo "cm4j needs a JDK >= 21 (none found in JAVA_HOME, /usr/lib/jvm, /opt, ~/.jdks): install one (e.g. apt-get install openjdk-21-jdk-headless) or set JAVA_HOME to it." >&2
  exit 1
fi
export JAVA_HOME="$home"
