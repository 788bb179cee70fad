# Entry points. Every target installs what it needs, idempotently.
#   make demo   bring up the local test bed, run playbooks/site.yml, then playbooks/validate.yml
#   make test   the whole test suite (what CI runs)
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.11 (the toolchain is pinned for it); fall back to python3 if it has another name.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# Go: this machine kind ships it in /usr/local/go/bin (the bed's Kubernetes binaries).
export PATH := $(BIN):$(PATH):/usr/local/go/bin
# Keep molecule/ansible-compat caches inside the checkout, not in $HOME.
export ANSIBLE_HOME := $(CURDIR)/.cache/ansible
BED_INVENTORY ?= inventories/testbed

.PHONY: help venv kfp-venv bed-deps bed-image bed-k8s-binaries bed-up bed-down bed-status demo test lint syntax unit sanity molecule bench bench-storage bench-scale collections clean

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

# The checkout as the collection mlplatform.installer (ansible.cfg collections_path).
COLLECTION_LINK := .cache/collections/ansible_collections/mlplatform/installer
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

# The opt-in mitogen profile (ansible-mitogen.cfg): the pinned extra, and its
# plugins at a path that does not name the Python version.
MITOGEN_LINK := .cache/ansible_mitogen
$(VENV)/.mitogen-installed: requirements-mitogen.txt $(VENV)/.installed
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-mitogen.txt
	mkdir -p .cache
	ln -sfn "$$($(BIN)/python -c 'import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__))')" $(MITOGEN_LINK)
	touch $@

venv: $(VENV)/.installed $(VENV)/.mitogen-installed $(COLLECTION_LINK) ## Python toolchain in .venv (pinned in requirements.txt, requirements-mitogen.txt)

# The kfp SDK for pipelines/ (tests/unit/test_pipeline_*.py run it): a venv of
# its own, since kfp 2.16 pins kubernetes<31 and .venv has kubernetes 37.
KFP_VENV := .cache/kfp-venv
$(KFP_VENV)/.installed: pipelines/requirements.txt
	test -x $(KFP_VENV)/bin/python || $(PYTHON) -m venv $(KFP_VENV)
	$(KFP_VENV)/bin/pip install -q --disable-pip-version-check -r pipelines/requirements.txt
	touch $@

kfp-venv: $(KFP_VENV)/.installed ## kfp SDK for pipelines/ in .cache/kfp-venv (pinned in pipelines/requirements.txt)

bed-deps: ## podman, runc, debootstrap and the bed's containers.conf on this machine
	testbed/host-deps.sh

bed-image: bed-deps ## the Debian 12 systemd node image (rebuilt only when testbed/image changes)
	testbed/image/build.sh

bed-k8s-binaries: ## etcd, kube-*, kubectl and kwok built from Go modules (cached per pin outside the checkout)
	testbed/kubernetes/build.sh

bed-up: venv bed-image bed-k8s-binaries ## start the bed's nodes and its Kubernetes control plane from $(BED_INVENTORY)
	$(BIN)/python testbed/bed.py up -i $(BED_INVENTORY)
	ansible-playbook testbed/kubernetes/control-plane.yml -i $(BED_INVENTORY)

bed-down: venv ## remove every container, network and key the bed created
	$(BIN)/python testbed/bed.py down -i $(BED_INVENTORY)

bed-status: venv
	$(BIN)/python testbed/bed.py status -i $(BED_INVENTORY)

demo: bed-up ## bed up, then the main job (playbooks/site.yml) and the day-2 check (playbooks/validate.yml)
	ansible-playbook playbooks/site.yml -i $(BED_INVENTORY)
	ansible-playbook playbooks/validate.yml -i $(BED_INVENTORY)

test: venv kfp-venv bed-image bed-k8s-binaries ## lint, syntax checks, pytest, every molecule scenario
	$(BIN)/python tests/run_all.py

lint: venv ## yamllint + ansible-lint (production profile)
	$(BIN)/python tests/run_all.py --only lint

syntax: venv ## ansible-playbook --syntax-check of every playbook
	$(BIN)/python tests/run_all.py --only syntax

unit: venv kfp-venv ## pytest
	$(BIN)/python tests/run_all.py --only unit

sanity: venv ## ansible-test sanity on the collection (its tools in .cache/sanity-venv)
	$(BIN)/python tests/run_all.py --only sanity

molecule: venv bed-image bed-k8s-binaries ## every molecule scenario (MOLECULE_SCENARIOS="a b" to pick)
	$(BIN)/python tests/run_all.py --only molecule

bench: venv bed-image bed-k8s-binaries ## site.yml first converge vs re-runs (shipped, defaults, mitogen) on a bed of its own
	$(BIN)/python testbed/bench_rerun.py -i $(BED_INVENTORY)

bench-storage: bed-up ## storage figures of the bed's nodes (storage_benchmark, median of 3 rounds)
	$(BIN)/python testbed/bench.py -i $(BED_INVENTORY)

bench-scale: bed-up ## validate's Kubernetes checks and upgrade.yml's plan + PDB pre-check against 50, 200, 500 kwok Nodes
	$(BIN)/python testbed/bench_scale.py -i $(BED_INVENTORY)

collections: venv ## install requirements.yml (Kubespray) into ./collections; needs github.com
	@timeout 120 ansible-galaxy collection install -r requirements.yml -p collections || { \
	  echo "make collections: could not fetch Kubespray from github.com."; \
	  echo "This machine is offline for GitHub: mirror the collection (see README, 'Air-gapped')"; \
	  echo "and point requirements.yml at the mirror. Nothing in 'make demo' or 'make test' needs it yet."; \
	  exit 1; }

clean: bed-down
	rm -rf .cache reports
