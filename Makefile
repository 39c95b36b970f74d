# OpenSandbox Ingress: build, test, run and package.
# VERSION, GIT_COMMIT and BUILD_TIME may be given in the environment; otherwise they come from git and the clock
# (or from SOURCE_DATE_EPOCH, for reproducible builds).

SHELL := /bin/bash

VERSION ?= $(shell git describe --tags --match 'v[0-9]*' 2>/dev/null | sed 's/^v//' || true)
ifeq ($(strip $(VERSION)),)
VERSION := 0.0.0-dev
endif
GIT_COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
BUILD_TIME ?= $(shell if [ -n "$$SOURCE_DATE_EPOCH" ]; then date -u -d "@$$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ; else date -u +%Y-%m-%dT%H:%M:%SZ; fi)

ARCH := $(shell uname -m)
RID ?= linux-$(if $(filter aarch64 arm64,$(ARCH)),arm64,x64)
IMAGE ?= opensandbox/ingress
TAG ?= $(VERSION)

BUILD_PROPS := -p:Version="$(VERSION)" -p:GitCommit="$(GIT_COMMIT)" -p:BuildTime="$(BUILD_TIME)"
TEST_PROJECT := tests/OpenSandboxIngress.Tests

.PHONY: build test run fmt docker clean bench profile redis dist

## build: Native AOT publish to bin/opensandbox-ingress (fails on any trim/AOT warning)
build:
	dotnet publish OpenSandboxIngress.csproj -c Release -r $(RID) -o bin/publish $(BUILD_PROPS)
	cp bin/publish/opensandbox-ingress bin/opensandbox-ingress
	@file bin/opensandbox-ingress 2>/dev/null || true

## dist: release archives for nodes, dist/opensandbox-ingress-$(VERSION)-linux-{amd64,arm64}.tar.gz and dist/SHA256SUMS
##       (binary, systemd unit, environment file, README; arm64 cross-compiled, see packaging/dist.sh)
dist:
	VERSION="$(VERSION)" GIT_COMMIT="$(GIT_COMMIT)" BUILD_TIME="$(BUILD_TIME)" packaging/dist.sh

## test: unit and integration tests (real sockets, real backends)
test:
	dotnet test --project $(TEST_PROJECT)

## run: the ingress on the example manifests, no cluster needed
run:
	dotnet run --project OpenSandboxIngress.csproj $(BUILD_PROPS) -- --provider-type file --sandboxes-dir examples/sandboxes

## fmt: check formatting and code style
fmt:
	dotnet format OpenSandboxIngress.csproj --verify-no-changes
	dotnet format $(TEST_PROJECT) --verify-no-changes

## docker: the distroless image for this machine's platform (build.sh builds and pushes both platforms)
docker:
	docker build -f Dockerfile.distroless -t $(IMAGE):$(TAG) \
		--build-arg VERSION="$(VERSION)" --build-arg GIT_COMMIT="$(GIT_COMMIT)" --build-arg BUILD_TIME="$(BUILD_TIME)" .

## bench: the ingress side by side with direct access and nginx (wrk, nginx; see bench/run.sh)
bench: build
	bench/run.sh

## profile: perf samples of the Native AOT binary under small keep-alive GETs (see bench/profile.sh)
profile: build
	bench/profile.sh

## redis: a local redis-server on 127.0.0.1:6379 for --renew-intent-enabled (tests start their own)
redis:
	redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no

clean:
	rm -rf bin obj dist $(TEST_PROJECT)/bin $(TEST_PROJECT)/obj
