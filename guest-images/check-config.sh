#!/usr/bin/env bash
# Checks that every option of a config fragment made it into a .config with
# the value the fragment asks for. Kconfig silently drops an option whose
# dependencies are missing; this names each one that was dropped or changed.
#
# Usage: check-config.sh FRAGMENT DOTCONFIG
set -euo pipefail
fragment=${1:?usage: check-config.sh FRAGMENT DOTCONFIG}
config=${2:?usage: check-config.sh FRAGMENT DOTCONFIG}
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
	checked=$((checked + 1))
done <"$fragment"

if [ "$bad" -ne 0 ]; then
	echo "check-config: $bad of $checked options in $fragment are not in $config as asked" >&2
	exit 1
fi
echo "check-config: all $checked options of $(basename "$fragment") present"
