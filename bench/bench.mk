# bench/bench.mk - `make bench`: every performance figure, one `NAME VALUE UNIT` line each.
# Parts add their own phony targets to BENCH_TARGETS in their fragments (bench-recorder, ...).
.PHONY: bench
bench:
	@for t in $(BENCH_TARGETS); do $(MAKE) --no-print-directory OPT=-O2 $$t || exit 1; done
