# Shared by the image tests: an OCI image layout made by hand (sha256sum, printf), so that
# `image load` is checked against the spec rather than against our own `image save`.
# Source after tests/lib.sh and rootfs.sh.

# image_setup: container_setup with an image store of its own ($ISOLAB_IMAGE_ROOT in $TMP)
# and the host's container traces noted in $before (for leftovers at the end).
image_setup() {
	container_setup
	export ISOLAB_IMAGE_ROOT=$TMP/store
	before=$(leftovers)
}

# oci_layout DIR TAG CONFIG_JSON_BODY LAYER.tar[.gz]...: CONFIG_JSON_BODY is the "config"
# object's content (e.g. '"Env":["A=1"]'); diff_ids are computed from the layers.
oci_layout() {
	local dir=$1 tag=$2 body=$3 t h dh sz mt layers="" diffs="" ch cs mh ms
	shift 3
	mkdir -p "$dir/blobs/sha256"
	for t in "$@"; do
		h=$(sha256sum "$t" | cut -d' ' -f1)
		dh=$(zcat -f "$t" | sha256sum | cut -d' ' -f1)
		sz=$(stat -c %s "$t")
		mt=application/vnd.oci.image.layer.v1.tar
		case $t in *gz) mt=$mt+gzip ;; esac
		cp "$t" "$dir/blobs/sha256/$h"
		layers="$layers${layers:+,}{\"mediaType\":\"$mt\",\"digest\":\"sha256:$h\",\"size\":$sz}"
		diffs="$diffs${diffs:+,}\"sha256:$dh\""
	done
	printf '{"architecture":"amd64","os":"linux","config":{%s},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[{"created_by":"hand-made"}]}' \
		"$body" "$diffs" >"$dir/config"
	ch=$(sha256sum "$dir/config" | cut -d' ' -f1) cs=$(stat -c %s "$dir/config")
	mv "$dir/config" "$dir/blobs/sha256/$ch"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
		"$ch" "$cs" "$layers" >"$dir/manifest"
	mh=$(sha256sum "$dir/manifest" | cut -d' ' -f1) ms=$(stat -c %s "$dir/manifest")
	mv "$dir/manifest" "$dir/blobs/sha256/$mh"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
		"$mh" "$ms" "$tag" >"$dir/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
}

# What the store holds: every path with its type, size and content hash (bytes on disk).
store_listing() {
	(cd "$1" && find . -path ./lock -prune -o -printf '%y %s %p\n' | sort &&
		find . -type f ! -name lock -exec sha256sum {} + | sort)
}
