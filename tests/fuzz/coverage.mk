# coverage.mk - branch coverage of the device core (issue 7): `make coverage` builds everything
# with gcc --coverage into build/cov, runs the unit tests and the fuzz corpus replays, and
# prints per-file and total branch coverage of vsnd/ (gcov -b; tests/fuzz/coverage.sh).
.PHONY: coverage
coverage:
	rm -rf build/cov
	$(MAKE) --no-print-directory BUILD=build/cov SANITIZE=0 OPT=-O0 CFLAGS=--coverage \
		LDFLAGS=--coverage unit-tests fuzz-replay
	tests/fuzz/coverage.sh build/cov
