# Fuzzing: every `func Fuzz…` of the repository, one after the other, for FUZZTIME in
# total split evenly between them. Included by the Makefile. Not part of `make test`,
# which already runs each target's seed corpus (testdata/fuzz) as a plain test.
# A crasher lands in the package's testdata/fuzz/<Target>/: commit it as a regression
# seed with its fix. Example: make fuzz FUZZTIME=5m

FUZZTIME ?= 10m

##@ Testing

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME in total (default 10m), split evenly.
	hack/fuzz/run.sh $(FUZZTIME)
