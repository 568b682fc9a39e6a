#!/usr/bin/env bash
# Every tracked C file is formatted as .clang-format says (what `make format`
# does), so the format stays true: one test per file, naming those out of format.
. "$(dirname "$0")/../lib.sh"
command -v clang-format >/dev/null || skip_all "clang-format not installed"
command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1 ||
	skip_all "not a git checkout (the tracked files are the ones checked)"
mapfile -t files < <(git ls-files '*.c' '*.h')
[ "${#files[@]}" -gt 0 ] || bail_out "no tracked C files found"
existing=()
for f in "${files[@]}"; do [ -f "$f" ] && existing+=("$f"); done # not deleted in the work tree
# One clang-format run; each difference it reports starts "FILE:LINE:COL: error:".
run clang-format --dry-run -Werror "${existing[@]}"
for f in "${existing[@]}"; do
	first=$(printf '%s\n' "$err" | grep -E -- "^${f//./\\.}:[0-9]+:[0-9]+: error:" | head -1)
	if ! is "$first" "" "$f is formatted"; then
		diag "run: clang-format -i $f (or make format)"
	fi
done
like "$rc" '^0$' "clang-format --dry-run -Werror passes over ${#existing[@]} files" || diag "$err"
done_testing
