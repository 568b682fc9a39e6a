#!/usr/bin/env bash
# tests/lib.sh's like/unlike: what a pattern matches, so that no check passes by accident
# (grep -E once took each line of a multi-line pattern as a pattern of its own, and the
# empty first or last line of $'\n...\n' matched any text).
. "$(dirname "$0")/../lib.sh"
text=$'pid: 2\nhostname: box1\nextra_fds:\nlast'
# Each case runs in a subshell so that its own ok line and counts stay out of this TAP.
matches() { (_tap_n=0 _tap_failed=0 && like "$1" "$2" x >/dev/null 2>&1); }

matches "$text" 'hostname: box'
ok $? "a one-line pattern matches a line of the text"
matches "$text" '^box1$'
ok $((!$?)) "...anchored to that line's ends (grep -E, line by line)"
matches "$text" $'\nhostname: box1\n'
ok $? "a multi-line pattern matches across lines"
matches "$text" $'\nhostname: nobody\n'
ok $((!$?)) "...and fails when its middle line is not there (once it matched anything)"
matches "$text" $'^pid: 2\nhostname'
ok $? "^ in a multi-line pattern: the start of a line"
matches "$text" $'^hostname: box1\nextra_fds:$'
ok $? "...and $ the end of one"
matches "$text" $'pid.*\nlast'
ok $((!$?)) ". does not match a newline"
matches "$text" ''
ok $((!$?)) "an empty pattern is an error, not a match"
(_tap_n=0 _tap_failed=0 && unlike "$text" $'\nnothing\nhere' x >/dev/null 2>&1)
ok $? "unlike: a multi-line pattern that is not there"
(_tap_n=0 _tap_failed=0 && unlike "$text" '' x >/dev/null 2>&1)
ok $((!$?)) "unlike: an empty pattern fails too"
done_testing
