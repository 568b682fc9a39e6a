#!/usr/bin/env bash
# build: a Containerfile's steps (FROM, ENV, WORKDIR, COPY, ADD, RUN, USER, LABEL, EXPOSE,
# ENTRYPOINT, CMD); the build cache hits on an unchanged rebuild and misses from a changed
# COPY source on; FROM scratch; bad Containerfiles are one-line errors.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
. "$(dirname "$0")/image_lib.sh"
image_setup

make_rootfs "$TMP/base"
"$CTR" image import "$TMP/base" base >/dev/null
mkdir -p "$TMP/ctx/src"
echo v1 >"$TMP/ctx/src/data.txt"
echo extra >"$TMP/ctx/extra.txt"
cat >"$TMP/ctx/Containerfile" <<'CF'
# a comment
FROM base
ENV GREETING=hello \
    MODE=test
WORKDIR /app
COPY src/ .
ADD extra.txt /opt/
RUN echo built >/app/run.txt && rm /etc/group
LABEL org.example.lab=images
EXPOSE 8080/tcp
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo $GREETING $MODE; pwd; cat data.txt run.txt /opt/extra.txt; ls /etc/group"]
CF
run --timeout 60 "$CTR" build -t app:1 "$TMP/ctx"
is "$rc" 0 "build of a 10-step Containerfile"
is "$(printf '%s\n' "$out" | grep -c '^STEP')" 10 "one STEP line per instruction"
unlike "$out" "cached" "a first build reuses nothing"
run --timeout 30 "$CTR" run --rm --net none app:1
is "$out" $'hello test\n/app\nv1\nbuilt\nextra' "the image: ENV, WORKDIR, COPY, ADD, RUN, ENTRYPOINT + CMD"
like "$err" "can't access '/etc/group'|/etc/group: No such file" "RUN's deletion is a whiteout in its layer"
run "$CTR" image inspect app:1
like "$out" '"org.example.lab":"images"' "LABEL recorded"
like "$out" '"8080/tcp"' "EXPOSE recorded"
is "$(printf '%s' "$out" | grep -c '"created_by"')" 10 "history: the base's import and every step after FROM"

run --timeout 60 "$CTR" build -t app:1 "$TMP/ctx"
is "$(printf '%s\n' "$out" | grep -c '^ cached')" 9 "an unchanged rebuild: every step after FROM cached"
echo v2 >"$TMP/ctx/src/data.txt"
run --timeout 60 "$CTR" build -t app:2 "$TMP/ctx"
is "$(printf '%s\n' "$out" | grep -c '^ cached')" 2 "a changed COPY source: the steps before it cached..."
like "$out" $'COPY src/ .\n -> ' "...the COPY rebuilt..."
like "$out" $'rm /etc/group\n -> ' "...and every step after it too"
run --timeout 30 "$CTR" run --rm --net none app:2
like "$out" $'/app\nv2' "the rebuilt image has the new file"
run --timeout 30 "$CTR" run --rm --net none app:1
like "$out" $'/app\nv1' "the first image is unchanged"

mkdir -p "$TMP/scratch"
cp /bin/busybox "$TMP/scratch/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "echo", "from-scratch"]\n' >"$TMP/scratch/Containerfile"
run --timeout 60 "$CTR" build -t scratchy "$TMP/scratch"
is "$rc" 0 "FROM scratch + COPY"
run --timeout 30 "$CTR" run --rm --net none scratchy
is "$out" from-scratch "the image built from scratch runs"

# Bad Containerfiles: one line, exit 1.
badfile() {
	printf "$2" >"$TMP/ctx/Bad"
	run --timeout 60 "$CTR" build -f "$TMP/ctx/Bad" -t bad "$TMP/ctx"
	ok $((rc == 0)) "$1: refused"
	is "$(printf '%s\n' "$err" | grep -c .)" 1 "$1: one line on stderr ($err)"
}
badfile "no FROM" 'RUN true\n'
badfile "unknown instruction" 'FROM base\nFROBNICATE x\n'
badfile "COPY from outside the context" 'FROM base\nCOPY ../ /x\n'
badfile "a failing RUN" 'FROM base\nRUN exit 3\n'
badfile "no such base image" 'FROM nothing-here\n'
is "$(leftovers)" "$before" "no container, cgroup, address or mount left behind by the RUN steps"
done_testing
