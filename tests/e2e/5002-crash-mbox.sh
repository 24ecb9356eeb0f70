#!/usr/bin/env bash
# kill -9 at random system calls of an export to mbox, resume, compare with an
# uninterrupted run (see crash-resume.sh).
FORMATS=mbox
. "$(dirname "$0")/crash-resume.sh"
