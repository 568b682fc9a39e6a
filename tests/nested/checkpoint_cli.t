#!/usr/bin/env bash
# container checkpoint NAME DIR / restore DIR (CRIU) in the lab host, where this host's
# kernel makes CRIU fail (this PVM host: "vdso: Unexpected rt vDSO area bounds").
. "$(dirname "$0")/../lib.sh"
! criu check >/dev/null 2>&1 || skip_all "CRIU works on this host: tests/container/checkpoint_cli.t runs directly"
labhost_test tests/container/checkpoint_cli.t
