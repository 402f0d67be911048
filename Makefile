# Credential notary — the one Makefile.
#
# Parts and their direction (see DESIGN.md): core <- anchor <- notary,
# core <- anchor <- verifier. Each part is one static library; the commands
# are thin mains over them. The verifier never links notary code.
#
#   make            build libraries and commands into $(BUILD)/
#   make test       install what is missing, build, run every test (ends "N passed, N failed")
#   make asan       the same test suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench      benchmarks, with the npm peers side by side
#   make fuzz       libFuzzer targets (clang), FUZZ_SECONDS each
#   make demo       the main job: a full issue -> anchor -> verify run on a local ledger
#   make install PREFIX=/usr/local   commands, man pages, systemd unit, sysusers file
#   make uninstall
#   make clean

BUILD  ?= build
PREFIX ?= /usr/local
# Install locations (make install); DESTDIR is prepended to each.
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/notary
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SYSCONFDIR  ?= /etc
ifeq ($(origin CC),default)
CC = gcc
endif

WARN   = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
OPT   ?= -O2
ifeq ($(SAN),1)
OPT    = -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDSAN  = -fsanitize=address,undefined
endif
# The libFuzzer build (make fuzz): every part instrumented for coverage and
# sanitized; only the fuzz targets link libFuzzer's main.
ifeq ($(SAN),fuzz)
OPT    = -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
LDSAN  = -fsanitize=address,undefined
endif
CFLAGS_ALL = -std=gnu11 -g $(OPT) $(WARN) -I. $(CFLAGS)
LDFLAGS_ALL = $(LDSAN) $(LDFLAGS)

# External libraries each part needs (Debian packages in scripts/setup.sh).
LIBS_CORE     = -ljansson -lnettle -lcrypto -lpthread -lm
# libcurl is not linked: anchor/net.c loads it on first network use (dlopen).
LIBS_ANCHOR   = -lsecp256k1 -ldl $(LIBS_CORE)
LIBS_NOTARY   = -lsqlite3 -lpq -lmicrohttpd -lqrencode -lpng $(LIBS_ANCHOR)
LIBS_VERIFIER = $(LIBS_ANCHOR)

# --- the parts ---------------------------------------------------------------
CORE_SRC     = $(wildcard core/*.c)
ANCHOR_SRC   = $(wildcard anchor/*.c)
# notary/ is in rooms (docs/architecture.md): store/, issuance/, anchoring/,
# service/ make libnotary; cli/ is the command and is linked into it alone.
NOTARY_SRC   = $(wildcard notary/*/*.c)
NOTARY_SRC  := $(filter-out notary/cli/%,$(NOTARY_SRC))
NOTARY_CLI   = $(wildcard notary/cli/*.c)
VERIFIER_SRC = $(filter-out verifier/main.c,$(wildcard verifier/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBCORE     = $(BUILD)/lib/libcore.a
LIBANCHOR   = $(BUILD)/lib/libanchor.a
LIBNOTARY   = $(BUILD)/lib/libnotary.a
LIBVERIFIER = $(BUILD)/lib/libverifier.a

BINS = $(if $(wildcard notary/cli/main.c),$(BUILD)/bin/notary) \
       $(if $(wildcard verifier/main.c),$(BUILD)/bin/verifier)

TEST_SRC  = $(wildcard tests/unit/test_*.c)
TEST_BINS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
MANPAGES   = man/notary.1 man/verifier.1
BENCH_SRC  = $(wildcard bench/*.c)
BENCH_BINS = $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

DEPS_STAMP = $(BUILD)/.deps-ok

.PHONY: all deps test asan bench fuzz fuzz-build demo web install uninstall clean
.SECONDARY:
all: $(BINS) $(LIBCORE) $(LIBANCHOR) $(LIBNOTARY) $(LIBVERIFIER)

# Install missing Debian packages (idempotent); re-run when the script changes.
deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/setup.sh
	@mkdir -p $(@D)
	@scripts/setup.sh
	@touch $@

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

define archive
	@mkdir -p $(@D)
	@rm -f $@
	ar rcs $@ $^ $(if $^,,$(BUILD)/.empty.o)
endef
$(BUILD)/.empty.o: | $(DEPS_STAMP)
	@mkdir -p $(@D)
	echo 'typedef int empty_unit_;' | $(CC) -x c -c - -o $@

$(LIBCORE): $(call obj,$(CORE_SRC)) | $(BUILD)/.empty.o
	$(archive)
$(LIBANCHOR): $(call obj,$(ANCHOR_SRC)) $(BUILD)/obj/gen/registry_bytecode.o \
		$(BUILD)/obj/gen/registry2_bytecode.o \
		$(BUILD)/obj/gen/timestamp_bytecode.o | $(BUILD)/.empty.o
	$(archive)

# The committed contract artifacts, embedded so the C tools need no Node at run
# time: $(call embed_contract,HEADER,PREFIX) writes PREFIX_creation_hex (the .bin,
# first prerequisite) and PREFIX_runtime_hex (deployedBytecode of the .json,
# second), which lets a verifier recognise a genuine contract by its code.
define embed_contract
	@mkdir -p $(@D)
	@{ echo '/* generated from $^ */'; echo '#include "$(1)"'; \
	   printf 'const char $(2)_creation_hex[] = "%s";\n' "$$(tr -d ' \n' < $<)"; \
	   printf 'const char $(2)_runtime_hex[] = "%s";\n' \
	     "$$(grep -o '"deployedBytecode": *"0x[0-9a-f]*"' $(word 2,$^) | sed 's/.*"0x//; s/"$$//')"; \
	 } > $@
endef
$(BUILD)/gen/registry_bytecode.c: contracts/build/NotaryRegistry.bin contracts/build/NotaryRegistry.json
	$(call embed_contract,anchor/registry.h,registry)
# NotaryRegistry2 (docs/registry-v2.md): issuer identity and anchoring keys.
$(BUILD)/gen/registry2_bytecode.c: contracts/build/NotaryRegistry2.bin contracts/build/NotaryRegistry2.json
	$(call embed_contract,anchor/registry2.h,registry2)
# The EBSI-style Timestamp contract (anchor/ebsi.h): a verifier may insist on its code.
$(BUILD)/gen/timestamp_bytecode.c: contracts/build/Timestamp.bin contracts/build/Timestamp.json
	$(call embed_contract,anchor/ebsi.h,ebsi_timestamp)
# The browser verifier (web/, docs/web-verifier.md), embedded so that
# `notary serve` serves it at /verify with no web/ folder installed
# (notary/service/webpage.h): each file's bytes and the table of names.
# The page's files by kind; package.json is for Node's tests, not the page.
WEB_FILES = $(filter-out web/package.json,$(sort $(wildcard $(addprefix web/*.,html css js json wasm svg png))))
$(BUILD)/gen/webpage_files.c: $(WEB_FILES) Makefile
	@mkdir -p $(@D)
	@{ echo '/* generated from $(WEB_FILES) */'; echo '#include "notary/service/webpage.h"'; \
	   i=0; for f in $(WEB_FILES); do \
	     echo "static const unsigned char f$$i[] = {"; \
	     od -An -v -tx1 "$$f" | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; echo '};'; i=$$((i+1)); \
	   done; \
	   echo 'const struct webpage_file webpage_files[] = {'; \
	   i=0; for f in $(WEB_FILES); do \
	     echo "    {\"$${f#web/}\", f$$i, sizeof f$$i},"; i=$$((i+1)); \
	   done; \
	   echo '};'; echo "const size_t webpage_nfiles = $$i;"; \
	 } > $@
$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@
$(LIBNOTARY): $(call obj,$(NOTARY_SRC)) $(BUILD)/obj/gen/webpage_files.o | $(BUILD)/.empty.o
	$(archive)
$(LIBVERIFIER): $(call obj,$(VERIFIER_SRC)) | $(BUILD)/.empty.o
	$(archive)

# Commands: notary links notary+anchor+core; verifier links verifier+anchor+core only.
$(BUILD)/bin/notary: $(call obj,$(NOTARY_CLI)) $(LIBNOTARY) $(LIBANCHOR) $(LIBCORE)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_NOTARY)
$(BUILD)/bin/verifier: $(call obj,verifier/main.c) $(LIBVERIFIER) $(LIBANCHOR) $(LIBCORE)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_VERIFIER)

# Tests link every library (only the objects they use are pulled in).
TEST_SUPPORT = $(call obj,$(wildcard tests/*.c))
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_SUPPORT) \
		$(LIBNOTARY) $(LIBVERIFIER) $(LIBANCHOR) $(LIBCORE)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_NOTARY)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIBNOTARY) $(LIBVERIFIER) $(LIBANCHOR) $(LIBCORE)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_NOTARY)

# The pinned Node tools (ganache, solc, ethers) are installed first: the C
# tests start real ledgers too.
test: all $(TEST_BINS)
	@scripts/setup.sh --npm .
	@BUILD=$(BUILD) tests/run.sh

# The whole test suite again, instrumented, in its own build directory.
asan:
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 test

# libFuzzer targets (tests/fuzz/fuzz_*.c): clang builds every part into
# build-fuzz/, then each target runs FUZZ_SECONDS on a scratch copy of its
# committed seeds (tests/fuzz/corpus/<target>/); any crash fails.
FUZZ_SECONDS ?= 30
FUZZ_CC      ?= clang-14
FUZZ_BINS = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(LIBNOTARY) $(LIBVERIFIER) $(LIBANCHOR) $(LIBCORE)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ $^ $(LIBS_NOTARY)
fuzz-build: $(FUZZ_BINS)
fuzz:
	@scripts/setup.sh --fuzz
	@$(MAKE) --no-print-directory BUILD=build-fuzz SAN=fuzz CC=$(FUZZ_CC) fuzz-build
	@BUILD=build-fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

bench: all $(BENCH_BINS)
	@BUILD=$(BUILD) bench/run.sh

demo: all
	@BUILD=$(BUILD) scripts/demo.sh

# The browser verifier (web/, static files): served on 127.0.0.1:$(WEB_PORT).
WEB_PORT ?= 8080
web:
	@scripts/serve-web.sh $(WEB_PORT)

# Everything below honours DESTDIR (a staging root: then nothing else on the
# machine is touched) and PREFIX. Only a real install as root (no DESTDIR)
# also creates the system user `notary` if it is missing (systemd-sysusers
# with the installed file, else useradd). Then: README.md, "Operating".
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/
	@mkdir -p $(BUILD)/packaging
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    packaging/notary.service.in > $(BUILD)/packaging/notary.service
	install -m 0644 $(BUILD)/packaging/notary.service $(DESTDIR)$(UNITDIR)/notary.service
	install -m 0644 packaging/notary.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/notary.conf
	install -m 0644 packaging/notary.env.example $(DESTDIR)$(DOCDIR)/notary.env.example
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ] && ! getent passwd notary >/dev/null; then \
	    if command -v systemd-sysusers >/dev/null; then \
	        echo "systemd-sysusers $(SYSUSERSDIR)/notary.conf"; \
	        systemd-sysusers $(SYSUSERSDIR)/notary.conf; \
	    else \
	        echo "useradd --system notary"; \
	        useradd --system --user-group --home-dir /var/lib/notary --no-create-home \
	            --shell /usr/sbin/nologin --comment 'Credential notary' notary; \
	    fi; \
	fi

# Removes what install put there; the user and /var/lib/notary stay.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/notary $(DESTDIR)$(BINDIR)/verifier \
	    $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANPAGES))) \
	    $(DESTDIR)$(UNITDIR)/notary.service $(DESTDIR)$(SYSUSERSDIR)/notary.conf \
	    $(DESTDIR)$(DOCDIR)/notary.env.example
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
