#!/usr/bin/env bash
# The image store: import, load (OCI layout, docker-archive), save (skopeo reads it), layers
# shared between images, whiteouts, run IMAGE with the config's defaults, rm, export-disk.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
. "$(dirname "$0")/image_lib.sh"
image_setup

make_rootfs "$TMP/base"
tar -C "$TMP/base" -cf "$TMP/base.tar" .
mkdir -p "$TMP/top/etc" "$TMP/top/srv"
echo from-top >"$TMP/top/srv/motd"
: >"$TMP/top/etc/.wh.group" # OCI whiteout: the layer deletes /etc/group
tar -C "$TMP/top" -czf "$TMP/top.tgz" .

run "$CTR" image import "$TMP/base.tar" base:1
is "$rc" 0 "import of a tar"
like "$out" '^sha256:[0-9a-f]{64}$' "import prints the image ID"
oci_layout "$TMP/layout" v2 '"Env":["GREETING=hi","PATH=/bin:/usr/bin"],"Cmd":["sh","-c","echo $GREETING; pwd"],"WorkingDir":"/srv"' \
	"$TMP/base.tar" "$TMP/top.tgz"
run "$CTR" image load "$TMP/layout" app:v2
is "$rc" 0 "load of an OCI image layout (two layers, gzip on top)"
is "$(ls "$TMP/store/layers" | wc -l)" 2 "the base layer both images use is unpacked once"
base_kb=$(du -sk "$TMP/store/layers" | cut -f1)
run "$CTR" image ls
like "$out" 'app +v2 .* 2 ' "ls: app:v2 has two layers"
like "$out" 'base +1 .* 1 ' "ls: base:1 has one"
like "$out" "layers on disk: .*add up to" "ls: what the store holds beside the sum of the image sizes"

run --timeout 30 "$CTR" run --rm --net none app:v2
is "$out" $'hi\n/srv' "run IMAGE: the config's Env, Cmd and WorkingDir"
run --timeout 30 "$CTR" run --rm --net none -e GREETING=yo -w / app:v2
is "$out" $'yo\n/' "-e and -w override the image's"
run --timeout 30 "$CTR" run --rm --net none app:v2 sh -c 'cat /srv/motd; ls /etc/group; ls /etc/passwd'
like "$out" 'from-top' "the top layer's file is there"
like "$err" "/etc/group: No such file" "a file deleted by a whiteout in a layer is gone in the container"
like "$out" '/etc/passwd' "the rest of the base layer is there"
run --timeout 30 "$CTR" run --rm --net none app:v2 sh -c 'echo scribble >/bin/new; rm /etc/passwd'
run --timeout 30 "$CTR" run --rm --net none app:v2 sh -c 'ls /bin/new /etc/passwd'
like "$err" "/bin/new: No such file" "a container's writes stay in its own upper layer"
like "$out" '/etc/passwd' "the next container sees the image unchanged"

# Save: skopeo reads our layout, and a load into a fresh store gives the same digests.
id=$("$CTR" image inspect app:v2 | sed -n 's/^ *"Id":"\(.*\)",/\1/p')
digest=$("$CTR" image inspect app:v2 | sed -n 's/^ *"Digest":"\(.*\)",/\1/p')
run "$CTR" image save app:v2 "$TMP/saved"
is "$rc" 0 "save to an OCI layout"
if command -v skopeo >/dev/null; then
	run skopeo inspect "oci:$TMP/saved:v2"
	like "$out" "\"Digest\": \"$digest\"" "skopeo inspect oci:DIR reads it (same manifest digest)"
	run skopeo copy -q "oci:$TMP/saved:v2" "docker-archive:$TMP/docker.tar:localhost/dock:v3"
	run "$CTR" image --root "$TMP/store3" load "$TMP/docker.tar"
	is "$rc" 0 "load of a docker-archive (skopeo copy ... docker-archive:)"
	run "$CTR" image --root "$TMP/store3" inspect localhost/dock:v3
	like "$out" "\"Id\":\"$id\"" "the docker-archive's image has the same config digest"
else
	skip "skopeo not installed"
	skip "skopeo not installed"
	skip "skopeo not installed"
fi
if command -v podman >/dev/null; then
	# Its own storage: the host's podman images are not touched. podman 4 names the image after
	# the directory's path, which must then be lowercase (mktemp's is not).
	lower=/tmp/isolab-image-test-$$
	ln -sfn "$TMP/saved" "$lower"
	run --timeout 120 podman --root "$TMP/podman" --runroot "$TMP/podman-run" --storage-driver vfs load -i "$lower"
	like "$out$err" "Loaded image" "podman load -i reads our layout"
	rm -f "$lower"
	podman --root "$TMP/podman" --runroot "$TMP/podman-run" --storage-driver vfs rmi -a -f >/dev/null 2>&1
else
	skip "podman not installed"
fi
run "$CTR" image --root "$TMP/store2" load "$TMP/saved"
run "$CTR" image --root "$TMP/store2" inspect app:v2
like "$out" "\"Id\":\"$id\"" "save then load: the same image ID"
like "$out" "\"Digest\":\"$digest\"" "save then load: the same manifest digest"

tar -C "$TMP/saved" -cf "$TMP/oci-archive.tar" .
run "$CTR" image --root "$TMP/store4" load "$TMP/oci-archive.tar" arch:v1
run "$CTR" image --root "$TMP/store4" inspect arch:v1
like "$out" "\"Digest\":\"$digest\"" "an oci-archive (the layout as a tar) loads with the same digest"
if command -v zstd >/dev/null; then
	zstd -q -c "$TMP/base.tar" >"$TMP/base.tar.zst"
	run "$CTR" image --root "$TMP/store4" import "$TMP/base.tar.zst" zbase
	run "$CTR" image --root "$TMP/store4" inspect zbase
	like "$out" 'layer.v1.tar\+zstd' "a zstd layer: imported, its media type says so"
	is "$(ls "$TMP/store4/layers" | wc -l)" 2 "and its diffID is the plain tar's: no new layer unpacked"
else
	skip "no zstd"
	skip "no zstd"
fi
run "$CTR" image history app:v2
like "$out" "hand-made" "history shows the config's history"

# export-disk: the flattened image as ext4, whiteouts applied.
if command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null; then
	run "$CTR" image export-disk app:v2 "$TMP/app.ext4"
	is "$rc" 0 "export-disk writes an ext4 disk"
	is "$(debugfs -R 'cat /srv/motd' "$TMP/app.ext4" 2>/dev/null)" from-top "the disk holds the top layer's file"
	run debugfs -R 'stat /etc/group' "$TMP/app.ext4"
	like "$err$out" "not found" "and not the file the top layer deleted"
else
	skip "no mkfs.ext4/debugfs"
	skip "no mkfs.ext4/debugfs"
	skip "no mkfs.ext4/debugfs"
fi

# rm: a layer goes when no image uses it.
run "$CTR" image rm base:1
like "$out" "untagged: base:1" "rm untags"
is "$(ls "$TMP/store/layers" | wc -l)" 2 "the base layer stays: app:v2 still uses it"
run "$CTR" image rm app
is "$rc" 1 "rm of a name that is not there fails"
run "$CTR" image rm app:v2
is "$(ls "$TMP/store/layers" "$TMP/store/blobs/sha256" | grep -c '^[0-9a-f]\{64\}$')" 0 "rm of the last image frees every layer and blob"
is "$(leftovers)" "$before" "no cgroup, state, address, veth or mount left behind"
done_testing
