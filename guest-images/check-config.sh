#!/usr/bin/env bash
# Checks that every option of a config fragment made it into a .config with
# the value the fragment asks for. Kconfig silently drops an option whose
# dependencies are missing; this names each one that was dropped or changed.
#
# With the kernel source tree as SRCDIR it also checks that every option
# exists at all: "# CONFIG_TYPO is not set" would otherwise pass unnoticed.
#
# Usage: check-config.sh FRAGMENT DOTCONFIG [SRCDIR]
set -euo pipefail
usage="usage: check-config.sh FRAGMENT DOTCONFIG [SRCDIR]"
fragment=${1:?$usage}
config=${2:?$usage}
srcdir=${3:-}
known=
if [ -n "$srcdir" ]; then
	known=$(grep -rhoE --include='Kconfig*' '^[[:space:]]*(menu)?config [A-Za-z0-9_]+' "$srcdir" |
		awk '{print "CONFIG_" $2}' | sort -u)
	[ -n "$known" ] || { echo "check-config: no Kconfig files under $srcdir" >&2; exit 2; }
fi
[ -r "$fragment" ] || { echo "check-config: cannot read $fragment" >&2; exit 2; }
[ -r "$config" ] || { echo "check-config: cannot read $config" >&2; exit 2; }

bad=0
checked=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		name=${line%%=*}
		got=$(grep -E "^(# )?${name}[= ]" "$config" || true)
		if [ "$got" != "$line" ]; then
			echo "check-config: $name: fragment wants '${line#*=}', .config has '${got:-nothing}'" >&2
			bad=$((bad + 1))
		fi
		;;
	"# CONFIG_"*" is not set")
		name=${line#\# }
		name=${name%% *}
		if grep -Eq "^$name=" "$config"; then
			echo "check-config: $name: fragment wants it unset, .config has '$(grep -E "^$name=" "$config")'" >&2
			bad=$((bad + 1))
		fi
		;;
	*) continue ;;
	esac
	if [ -n "$known" ] && ! grep -qx "$name" <<<"$known"; then
		echo "check-config: $name: no such option in $srcdir" >&2
		bad=$((bad + 1))
	fi
	checked=$((checked + 1))
done <"$fragment"

if [ "$bad" -ne 0 ]; then
	echo "check-config: $bad of $checked options in $fragment are not in $config as asked" >&2
	exit 1
fi
echo "check-config: all $checked options of $(basename "$fragment") present"
