# tempora - GNU Makefile (the only build system).
#
#   make run     install missing packages, build, analyze corpus/ into out/
#   make test    install missing packages, build, run every test (also under ASan+UBSan,
#                the threaded CLI cases under TSan, and a smoke run of every fuzz target)
#   make all | asan | tsan | coverage | bench | fuzz | fuzz-smoke | lint | format-check | clean
#
# Objects go to build/<mode>/ so release, asan, tsan and coverage builds never mix.

MODE ?= release
BUILD := build/$(MODE)
CC ?= cc
CXX ?= c++

PKGS := gsl libutf8proc jansson zlib simdjson xlsxwriter gmime-3.0 libxml-2.0 libarchive
DEB_PKGS := build-essential pkg-config libgsl-dev libcsv-dev libutf8proc-dev libjansson-dev \
	libsimdjson-dev zlib1g-dev libcriterion-dev python3 python3-sklearn python3-scipy python3-nltk \
	python3-numpy librsvg2-bin clang libclang-rt-14-dev \
	libxlsxwriter-dev chromium chromium-driver python3-selenium python3-openpyxl \
	libgmime-3.0-dev libxml2-dev libarchive-dev libzstd-dev \
	libxxhash-dev libopenmpi-dev openmpi-bin parallel
DEB_PKGS += libstemmer-dev python3-snowballstemmer
# ISA-L: the workbook's big sheets are deflated with its igzip (docs/report.md)
PKGS += libisal
DEB_PKGS += libisal-dev
PY := /usr/bin/python3

WARN_CXX := -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wvla -Wcast-qual
WARN := $(WARN_CXX) -Wstrict-prototypes -Wmissing-prototypes -Wwrite-strings
ifeq ($(WERROR),1)
WARN += -Werror
WARN_CXX += -Werror
endif

CPPFLAGS_ALL := -Iinclude -Isrc -D_POSIX_C_SOURCE=200809L $(CPPFLAGS)
CFLAGS_ALL := -std=c11 $(WARN) -MMD -MP $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
# The JSONL fast reader (src/input/json_fast.cpp) is C++17: the program is
# linked by $(CXX) for its runtime.
CXXFLAGS_ALL := -std=c++17 $(WARN_CXX) -MMD -MP $(shell pkg-config --cflags simdjson 2>/dev/null) $(CXXFLAGS)
# Loaded when first needed, not linked (src/dynlib.h): mail, HTML, archives,
# workbooks (libxlsxwriter and ISA-L) and --stem's libstemmer (which has no
# pkg-config file). Their headers are used as usual; their sonames are read off
# the installed libraries, found in pkg-config's libdir (a library built into
# /usr/local) or where the compiler finds them. None read (no readelf, no
# lib*.so): dynlib.h's defaults, from the library's header where it says.
PKGS_LOADED := xlsxwriter gmime-3.0 libxml-2.0 libarchive libisal
solib = $(firstword $(wildcard $(shell pkg-config --variable=libdir $(2) 2>/dev/null)/lib$(1).so) \
	$(shell $(CC) -print-file-name=lib$(1).so))
soname = $(shell readelf -d "$(call solib,$(1),$(2))" 2>/dev/null | \
	sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
LIB_GMIME := gmime-3.0 gmime-3.0
LIB_XML2 := xml2 libxml-2.0
LIB_ARCHIVE := archive libarchive
LIB_XLSXWRITER := xlsxwriter xlsxwriter
LIB_STEMMER := stemmer libstemmer
LIB_ISAL := isal libisal
$(foreach v,GMIME XML2 ARCHIVE XLSXWRITER STEMMER ISAL,\
	$(eval SONAME_$(v) := $(call soname,$(word 1,$(LIB_$(v))),$(word 2,$(LIB_$(v))))))
# (no warning before `make deps` has installed the library)
SONAMES := $(foreach v,GMIME XML2 ARCHIVE XLSXWRITER STEMMER ISAL,$(if $(SONAME_$(v)),\
	-DTP_SONAME_$(v)='"$(SONAME_$(v))"',\
	$(if $(shell pkg-config --exists $(word 2,$(LIB_$(v))) && echo y),\
	$(warning tempora: the soname of lib$(word 1,$(LIB_$(v))) could not be read (readelf, binutils); src/dynlib.h's default is used))))
CPPFLAGS_ALL += $(SONAMES)
# A release links these from their archives (lib*.a, in the same Debian -dev
# packages) when they are there: a shared library costs every run its mapping,
# symbol lookups and relocated pages at start, and on this project's virtual
# machines a page fault costs microseconds (docs/architecture.md, "Start-up").
STATIC_LIBS := gsl gslcblas utf8proc jansson z csv xxhash
ifeq ($(MODE),release)
STATIC_FOUND := $(foreach l,$(STATIC_LIBS),$(if $(filter /%,$(shell $(CC) -print-file-name=lib$(l).a)),$(l)))
endif
# --exclude-libs: their symbols stay out of the dynamic symbol table. Without
# it a link that has a shared library wanting one of them exports it (tempora-mpi:
# Open MPI brings libz.so.1), and the static zlib would then interpose libz.so.1
# for every library loaded later (libarchive, libxml2).
STATIC_LINK := -Wl,--exclude-libs,ALL -Wl,-Bstatic $(addprefix -l,$(STATIC_FOUND)) -Wl,-Bdynamic
LDLIBS_ALL := $(if $(STATIC_FOUND),$(STATIC_LINK)) \
	$(filter-out $(addprefix -l,$(STATIC_FOUND)),$(shell pkg-config --libs \
	$(filter-out $(PKGS_LOADED),$(PKGS)) 2>/dev/null) -lcsv -lxxhash) \
	-lm -lpthread -ldl $(LDLIBS)

ifeq ($(MODE),release)
# -O3 and link-time optimization: the token path crosses tokenizer, pipeline,
# counts and table, and inlining across them measured about 10% faster
MODE_FLAGS := -O3 -g -flto=auto
LDFLAGS += -O3 -g -flto=auto
else ifeq ($(MODE),asan)
MODE_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(MODE),tsan)
MODE_FLAGS := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
else ifeq ($(MODE),coverage)
MODE_FLAGS := -O0 -g --coverage
LDFLAGS += --coverage
else ifeq ($(MODE),debug)
MODE_FLAGS := -O0 -g
endif
CFLAGS_ALL += $(MODE_FLAGS)
CXXFLAGS_ALL += $(MODE_FLAGS)

LIB_SRC := $(filter-out src/cli/%,$(wildcard src/*.c src/input/*.c))
CLI_SRC := $(wildcard src/cli/*.c)
STOP_FILES := $(sort $(wildcard src/stopwords/*.stop))
GEN_STOP := $(BUILD)/gen/stopwords_data.c

LIB_CXX := $(wildcard src/input/*.cpp)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(LIB_CXX:%.cpp=$(BUILD)/%.o) $(BUILD)/gen/stopwords_data.o \
	$(BUILD)/gen/report_assets.o
# report.html's scripts and styles (uPlot and our own), compiled in
HTML_ASSETS := src/vendor/uplot/uPlot.iife.min.js src/vendor/uplot/uPlot.min.css \
	src/html/report.js src/html/report.css
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
BIN := $(BUILD)/tempora

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: mpi state-tests
.PHONY: all run test deps asan tsan coverage bench bench-smoke fuzz fuzz-smoke lint format \
	format-check clean unit cli-tests ref-tests check-build tsan-cli browser-tests

all: $(BIN)
	@ln -sf $(BIN) tempora

$(BIN): $(LIB_OBJ) $(CLI_OBJ)
	@echo "  LD      $@"
	@$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	@echo "  CXX     $@"
	@$(CXX) $(CPPFLAGS_ALL) $(CXXFLAGS_ALL) -c -o $@ $<

# The stopword lists are compiled in: one C string per language.
$(GEN_STOP): $(STOP_FILES) src/stopwords/embed.sh
	@mkdir -p $(dir $@)
	sh src/stopwords/embed.sh $(STOP_FILES) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/stopwords_data.o: $(GEN_STOP)
	@echo "  CC      $@"
	@$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/gen/report_assets.c: $(HTML_ASSETS) src/html/embed.sh
	@mkdir -p $(dir $@)
	sh src/html/embed.sh $(HTML_ASSETS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/report_assets.o: $(BUILD)/gen/report_assets.c
	@echo "  CC      $@"
	@$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

# test_writer fails the writer thread's fdatasync on demand (__wrap_fdatasync).
$(BUILD)/tests/test_writer: TEST_LDFLAGS := -Wl,--wrap=fdatasync

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@.o $<
	@$(CXX) $(LDFLAGS) $(TEST_LDFLAGS) -o $@ $@.o $(LIB_OBJ) \
		$(shell pkg-config --cflags --libs criterion 2>/dev/null || echo -lcriterion) $(LDLIBS_ALL)

# Install what is missing (apt-get, through sudo when not root); nothing when all is there.
deps:
	@sh tests/install-deps.sh $(DEB_PKGS)

run: deps
	@$(MAKE) --no-print-directory all
	./$(BIN) analyze corpus -o out
	@echo "tables written to out/"

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; ./$$t --jobs 2; done

cli-tests: $(BIN)
	@TEMPORA=$(abspath $(BIN)) sh tests/cli/run.sh

ref-tests: $(BIN)
	@TEMPORA=$(abspath $(BIN)) $(PY) tests/ref/run.py

# tempora.xlsx read back with openpyxl, report.html in headless Chromium
# (screenshot: build/test-artifacts/report.png)
browser-tests: $(BIN)
	@TEMPORA=$(abspath $(BIN)) PY=$(PY) sh tests/browser/run.sh

check-build: $(BIN) $(UNIT_BIN)

test: deps
	@$(MAKE) --no-print-directory all check-build
	@$(MAKE) --no-print-directory unit cli-tests ref-tests browser-tests
	@$(MAKE) --no-print-directory state-tests
	@$(MAKE) --no-print-directory MODE=asan check-build
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(MAKE) --no-print-directory MODE=asan unit cli-tests
	@$(MAKE) --no-print-directory MODE=tsan tsan-cli
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory bench-smoke

asan:
	@$(MAKE) --no-print-directory MODE=asan all

# tempora-mpi (Open MPI: libopenmpi-dev openmpi-bin): the same commands on P
# processes, mpirun -np P tempora-mpi COMMAND ... (docs/scale-out.md). main.c
# is built again as tempora_main; src/mpi/mpi_main.c is the program's main.
MPICC ?= mpicc
MPICXX ?= mpicxx
MPI_BIN := $(BUILD)/tempora-mpi
mpi: $(MPI_BIN)
	@ln -sf $(MPI_BIN) tempora-mpi

$(BUILD)/mpi/main_as_lib.o: src/cli/main.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -Wno-missing-prototypes -Dmain=tempora_main -c -o $@ $<

$(BUILD)/mpi/mpi_main.o: src/mpi/mpi_main.c
	@mkdir -p $(dir $@)
	@echo "  MPICC   $@"
	@$(MPICC) $(CPPFLAGS_ALL) -Isrc/cli $(CFLAGS_ALL) -c -o $@ $<

$(MPI_BIN): $(LIB_OBJ) $(filter-out $(BUILD)/src/cli/main.o,$(CLI_OBJ)) $(BUILD)/mpi/main_as_lib.o \
		$(BUILD)/mpi/mpi_main.o
	@echo "  LD      $@"
	@$(MPICXX) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# the scale-out recipes of docs/scale-out.md as written, and tempora-mpi on 1, 3
# and 4 processes, against tempora, byte for byte (tables)
state-tests: $(BIN) $(MPI_BIN)
	@TEMPORA=$(abspath $(BIN)) sh tests/state/recipes.sh
	@TEMPORA=$(abspath $(BIN)) TEMPORA_MPI=$(abspath $(MPI_BIN)) sh tests/state/mpi.sh

# The CLI cases that run threads (their cmd has --threads) and the catalogue
# of hostile inputs (hostile_*, run on the default threads: one per core), on
# the ThreadSanitizer build (MODE=tsan): any data race report fails the case.
TSAN_CASES := $(sort $(patsubst tests/cli/cases/%/cmd,%,$(shell grep -l -e --threads tests/cli/cases/*/cmd)) \
	$(patsubst tests/cli/cases/%/cmd,%,$(wildcard tests/cli/cases/hostile_*/cmd)))

tsan-cli: $(BIN)
	@$(BIN) --version >/dev/null 2>&1 || { echo "tsan: $(BIN) does not start here:"; \
		$(BIN) --version 2>&1 | head -n 3; exit 1; }
	@TEMPORA=$(abspath $(BIN)) TSAN_OPTIONS="$${TSAN_OPTIONS:+$$TSAN_OPTIONS:}suppressions=$(abspath tests/cli/tsan.supp)" \
		sh tests/cli/run.sh $(TSAN_CASES)

tsan:
	@$(MAKE) --no-print-directory MODE=tsan all

coverage:
	@$(MAKE) --no-print-directory MODE=coverage check-build
	@$(MAKE) --no-print-directory MODE=coverage unit cli-tests

bench: deps
	@$(MAKE) --no-print-directory all
	sh bench/run.sh

bench-smoke: $(BIN)
	@TEMPORA=$(abspath $(BIN)) sh bench/run.sh --smoke

fuzz:
	@$(MAKE) --no-print-directory -f tests/fuzz/Makefile

# every libFuzzer target for a few seconds from its seeds (tests/fuzz/README.md)
fuzz-smoke:
	@$(MAKE) --no-print-directory -j2 -f tests/fuzz/Makefile build
	@$(MAKE) --no-print-directory -f tests/fuzz/Makefile smoke

lint:
	cppcheck --quiet --inline-suppr --error-exitcode=1 --enable=warning,portability -Iinclude -Isrc \
		--suppress=missingIncludeSystem src

format:
	clang-format -i $(wildcard include/*.h src/*.c src/*.h src/input/*.c src/input/*.cpp src/input/*.h src/cli/*.c src/cli/*.h tests/unit/*.c)

format-check:
	clang-format --dry-run -Werror $(wildcard include/*.h src/*.c src/*.h src/input/*.c src/input/*.cpp src/input/*.h src/cli/*.c src/cli/*.h tests/unit/*.c)

clean:
	rm -rf build tempora

-include $(shell find build -name '*.d' 2>/dev/null)
