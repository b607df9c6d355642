# Benchmarks: the operator's figures on this machine (test/bench). Included by the
# Makefile; uses its LOCALBIN. Not part of `make test`. BENCH_ARGS passes flags, for
# example a quick run: make bench BENCH_ARGS="--cameras 500,2000".

BENCH_ARGS ?=

##@ Benchmarks

.PHONY: bench
bench: envtest ## Measure registrations/s, keepalives/s, API catch-up, API writes and memory with 1k and 10k cameras, each beside the API server's floor; JSON in bin/bench/results.json.
	KUBEBUILDER_ASSETS="$$(hack/envtest/assets.sh $(LOCALBIN))" go run ./test/bench --work $(LOCALBIN)/bench --out $(LOCALBIN)/bench/results.json $(BENCH_ARGS)

.PHONY: bench-50k
bench-50k: envtest ## One shard of 50,000 cameras: the burst beside the floor, steady state and memory, keepalives every 24 s (about 35 minutes; BENCH_ARGS=--production-like keeps kube-apiserver and etcd on a core of their own); JSON in bin/bench/results-50k.json.
	KUBEBUILDER_ASSETS="$$(hack/envtest/assets.sh $(LOCALBIN))" go run ./test/bench --cameras 50000 --timeout 2h --status-interval 2m --steady-window 2m --keepalive-load=false --avalanche=false --events=false --no-sipp --go-bench=false --work $(LOCALBIN)/bench --out $(LOCALBIN)/bench/results-50k.json $(BENCH_ARGS)

.PHONY: bench-nvr
bench-nvr: envtest ## One shard of 2,000 NVRs of 64 channels each: the burst beside the floor of their complete statuses, steady state and memory (about 8 minutes); JSON in bin/bench/results-nvr.json.
	KUBEBUILDER_ASSETS="$$(hack/envtest/assets.sh $(LOCALBIN))" go run ./test/bench --cameras 2000 --channels 64 --status-interval 30s --keepalive-load=false --avalanche=false --events=false --no-sipp --go-bench=false --work $(LOCALBIN)/bench --out $(LOCALBIN)/bench/results-nvr.json $(BENCH_ARGS)

.PHONY: bench-compare
bench-compare: envtest ## Side by side: the same sipp digest REGISTER load at rising rates to Kamailio and to the operator binary (as make dev runs it and pinned production-like) and its registrar alone, then the same calls from the bench's lean client, and each at twice the operator's clean rate (ten minutes or so); JSON in bin/bench/compare.json.
	KUBEBUILDER_ASSETS="$$(hack/envtest/assets.sh $(LOCALBIN))" go run ./test/bench --compare-kamailio --work $(LOCALBIN)/bench --out $(LOCALBIN)/bench/results.json $(BENCH_ARGS)
