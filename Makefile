# A thin layer over CMake/CTest.  `make demo` and `make check` work on a
# fresh Debian machine: they install what they need first (as root, or
# with sudo when it is there).
BUILD    ?= build
ASAN_BUILD ?= build-asan
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)

# Build: compiler, CMake, pkg-config and the libraries.  Tests add the
# tools we check our output with (Python's mailbox is in python3; mutt;
# zstd/xz/unzip to open archives; time for memory figures).
BUILD_PACKAGES = build-essential cmake pkg-config libetpan-dev \
	libsqlite3-dev libarchive-dev libssl-dev libutf8proc-dev libzstd-dev
TEST_PACKAGES = python3 mutt zstd xz-utils unzip time strace \
	dovecot-imapd dovecot-pop3d dovecot-submissiond openssl gettext-base

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build deps test-deps demo check asan clean bench

all: build

deps:
	@if ! dpkg -s $(BUILD_PACKAGES) >/dev/null 2>&1; then \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $(BUILD_PACKAGES); \
	fi

# The IMAP/POP3 tests start their own Dovecot on 127.0.0.1; a system
# Dovecot that the package install enabled is stopped again.
test-deps: deps
	@if ! dpkg -s $(TEST_PACKAGES) >/dev/null 2>&1; then \
		had_dovecot=$$(dpkg -s dovecot-core >/dev/null 2>&1 && echo yes); \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $(TEST_PACKAGES) && \
		if [ -z "$$had_dovecot" ] && command -v systemctl >/dev/null; then \
			$(SUDO) systemctl disable --now dovecot >/dev/null 2>&1 || true; \
		fi; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	@sh samples/demo.sh $(BUILD)/mailsave

check: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

asan: test-deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMAILSAVE_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j$(JOBS)

bench: build
	MAILSAVE=$(CURDIR)/$(BUILD)/mailsave bash bench/run.sh

# mailsave against mbsync on a private Dovecot (needs dovecot-imapd and
# isync; bench/README.md).
.PHONY: bench-imap
bench-imap: build
	MAILSAVE=$(CURDIR)/$(BUILD)/mailsave bash bench/imap.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
