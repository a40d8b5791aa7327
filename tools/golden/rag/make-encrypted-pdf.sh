#!/usr/bin/env bash
# The encrypted-PDF fixture of @llm/rag's tests: the first two pages of the bundled Debian FAQ
# (GPL-2+), encrypted with AES-256 by Debian's qpdf (apt-get install qpdf). User password: secret.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
tmp=$(mktemp -d)
gunzip -c "$root/data/rag/debian-faq.en.pdf" > "$tmp/faq.pdf" 2>/dev/null || cp "$root/data/rag/debian-faq.en.pdf" "$tmp/faq.pdf"
qpdf --empty --pages "$tmp/faq.pdf" 1-2 -- "$tmp/two.pdf"
qpdf --encrypt secret owner 256 -- "$tmp/two.pdf" "$root/packages/rag/test/fixtures/encrypted.pdf"
echo "wrote packages/rag/test/fixtures/encrypted.pdf"
