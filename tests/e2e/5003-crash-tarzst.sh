#!/usr/bin/env bash
# kill -9 at random system calls of an export to tar.zst, resume, compare with an
# uninterrupted run (see crash-resume.sh).
FORMATS=tar.zst
. "$(dirname "$0")/crash-resume.sh"
