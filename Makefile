# klcrypt: thin wrapper around Maven. Every target runs Maven on JDK 25 (bin/find-jdk finds it).
SHELL := /bin/bash
JAVA_HOME := $(shell bin/find-jdk)
export JAVA_HOME
export PATH := $(JAVA_HOME)/bin:$(PATH)
# Maven 3.8's bundled guava touches sun.misc.Unsafe; allow it quietly on JDK 25.
export MAVEN_OPTS ?= --sun-misc-unsafe-memory-access=allow
MVN := mvn -B -ntp
PREFIX ?= /usr/local

.PHONY: deps lint build test run bench fmt clean install

# Debian packages the build, demo and tests need (installed only when missing).
deps:
	bin/install-deps

build: deps
	$(MVN) -DskipTests install

# Shell scripts are code too: shellcheck them (Java formatting and -Werror run inside Maven).
lint: deps
	shellcheck .ci/run bin/*

test: deps lint
	$(MVN) install

run: build
	bin/klcrypt-demo

bench: build
	bin/klcrypt-bench

fmt:
	$(MVN) spotless:apply

clean:
	$(MVN) clean

install: build
	bin/klcrypt-install $(PREFIX)
